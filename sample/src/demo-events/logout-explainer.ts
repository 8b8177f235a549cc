import { Inject, Injectable } from '@nestjs/common';
import type { LogoutEvent } from 'nestjs-keycloak-logout';
import { SAMPLE_CONFIG, type SampleConfig } from '../sample-config.js';
import { explainLogout, type LogoutExplanation } from './logout-explanation.js';

/** Explanations kept, so the timeline and the closing page show one and the same. */
const KEPT = 100;

/** Explains each logout once (by revocation id), for the timeline and for the page it ends. */
@Injectable()
export class LogoutExplainer {
  private readonly explained = new Map<string, LogoutExplanation>();

  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  explain(event: LogoutEvent): LogoutExplanation {
    const known = this.explained.get(event.revocation.id);
    if (known !== undefined) return known;
    const explanation = explainLogout(event, this.config.appName, this.config.logoutOrigin);
    this.explained.set(event.revocation.id, explanation);
    if (this.explained.size > KEPT) this.explained.delete(this.explained.keys().next().value as string);
    return explanation;
  }
}
