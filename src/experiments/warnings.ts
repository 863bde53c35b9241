/**
 * Warnings about a sweep's points that are known before any of them runs: targets the network
 * cannot represent (src/tasks/representability.ts). Each distinct warning is reported once, with
 * the points it concerns, and every record carries its point's warnings.
 */
import { representabilityWarnings } from '../tasks/representability.js';
import type { RepresentabilityNetwork } from '../tasks/representability.js';
import type { TaskSpec } from '../tasks/spec.js';
import type { SweepPoint } from './types.js';

/** A warning and the points (in point order) it applies to. */
export interface SweepWarning {
  message: string;
  points: SweepPoint[];
}

/** The warnings of one point, from its normalised spec (every method has task and network). */
export function pointWarnings(point: Pick<SweepPoint, 'spec'>): string[] {
  const { task, network } = point.spec as { task: TaskSpec; network: RepresentabilityNetwork };
  return representabilityWarnings(task, network);
}

/** The distinct warnings of `points`, in order of first appearance, each with its points. */
export function sweepWarnings(points: readonly SweepPoint[]): SweepWarning[] {
  const byMessage = new Map<string, SweepPoint[]>();
  for (const point of points) {
    for (const message of pointWarnings(point)) {
      const list = byMessage.get(message) ?? [];
      list.push(point);
      byMessage.set(message, list);
    }
  }
  return [...byMessage].map(([message, concerned]) => ({ message, points: concerned }));
}
