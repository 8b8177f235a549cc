import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { renderPage } from './page.template.js';
import { SAMPLE_CONFIG, type SampleConfig } from './sample-config.js';

/** A browser that the session guard refuses gets the signed-out page, not a JSON error. */
@Catch(HttpException)
export class SignedOutPageFilter implements ExceptionFilter {
  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    response
      .status(exception.getStatus())
      .type('html')
      .setHeader('Cache-Control', 'no-store')
      .send(renderPage({ appName: this.config.appName, otherAppUrl: this.config.otherAppUrl }));
  }
}
