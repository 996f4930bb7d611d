/**
 * The registry: the one place that lists the signals. The engine knows signals only through it.
 */
import { appSignal } from './app.ts';
import { geoSignal } from './geo.ts';
import { networkSignal } from './network.ts';
import { postureSignal } from './posture.ts';
import { shiftSignal } from './shift.ts';
import type { Signal } from './signal.ts';
import { terminalSignal } from './terminal.ts';
import { velocitySignal } from './velocity.ts';

export type { Signal } from './signal.ts';

export const SIGNALS: readonly Signal[] = Object.freeze([shiftSignal, terminalSignal, networkSignal, geoSignal, postureSignal, velocitySignal, appSignal]);
