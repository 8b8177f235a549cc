import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SampleMetrics } from './sample-metrics.js';

/** `GET /metrics`: the Prometheus text format of this instance's metrics, the library's among them. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: SampleMetrics) {}

  @Get()
  scrape(@Req() request: Request, @Res() response: Response): void {
    this.metrics.exporter.getMetricsRequestHandler(request, response);
  }
}
