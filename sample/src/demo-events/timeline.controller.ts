import { Controller, Get, Header } from '@nestjs/common';
import { DemoTimeline, type TimelineEntry } from './demo-timeline.js';

/**
 * `GET /timeline`: the app's recent logins, logouts and refusals as JSON. Public on purpose,
 * for the demo: a signed-out page still reads it, and it holds no token, sid, sub or user name.
 */
@Controller('timeline')
export class TimelineController {
  constructor(private readonly timeline: DemoTimeline) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  list(): { entries: TimelineEntry[] } {
    return { entries: this.timeline.list() };
  }
}
