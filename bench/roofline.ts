/**
 * Roofline: this machine's dgemm rate (GFLOP/s, one BLAS thread) on the exact GEMM shapes the
 * SGLD and MF steps run, measured with `backend.gemm` in the same process as the steps. A step's
 * GEMM-bound limit is the time its GEMMs would take at those rates, sum_i flops_i / rate_i; the
 * GEMM-bound fraction is that limit divided by the measured step time (1 = the step costs no more
 * than its GEMMs; everything else it does is free).
 */
import type { Backend, GemmOptions } from '../src/backend/types.js';
import { measure, table, type Measurement } from './harness.js';

/** One product of a step: C (M x N) = op(A) op(B) with inner dimension K. */
export interface StepGemm {
  /** What the step computes with it, e.g. "X W^T". */
  name: string;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  /**
   * Flops the step spends on it as a fraction of the full product's 2 M N K: 1 for a GEMM, 1/2
   * for a SYRK (one triangle of a symmetric product), which is timed as the full GEMM of the same
   * shape and counted at half.
   */
  share: number;
}

export interface GemmRate {
  gemm: StepGemm;
  /** Mean seconds of the full product. */
  seconds: number;
  rme: number;
  /** 2 M N K / seconds / 1e9. */
  gflops: number;
}

function key(g: StepGemm): string {
  return `${g.M}x${g.N}x${g.K}${g.transA ? 'T' : 'N'}${g.transB ? 'T' : 'N'}`;
}

/** The product's options and operands (C = op(A) op(B), inputs filled with constants). */
export function gemmOperands(g: StepGemm): {
  options: GemmOptions;
  A: Float64Array;
  B: Float64Array;
  C: Float64Array;
} {
  const { M, N, K, transA, transB } = g;
  return {
    options: { M, N, K, transA, transB, alpha: 1, beta: 0 },
    A: new Float64Array(M * K).fill(0.5),
    B: new Float64Array(K * N).fill(0.25),
    C: new Float64Array(M * N),
  };
}

/** Seconds of one `backend.gemm` of this shape, with preallocated operands. */
export function timeGemm(backend: Backend, g: StepGemm, maxTime: number): Measurement {
  const { options, A, B, C } = gemmOperands(g);
  return measure(`gemm ${key(g)}`, () => backend.gemm(options, A, B, C), maxTime);
}

/**
 * The GEMM rates measured during one benchmark run, each shape once, printed as one table at
 * the end; steps ask it for their GEMM-bound limit.
 */
export class GemmRates {
  private readonly rates = new Map<string, GemmRate & { usedBy: Set<string> }>();

  constructor(
    private readonly backend: Backend,
    private readonly maxTime = 1.5,
  ) {}

  rate(g: StepGemm, usedBy: string): GemmRate {
    let r = this.rates.get(key(g));
    if (!r) {
      const m = timeGemm(this.backend, g, this.maxTime);
      const gflops = (2 * g.M * g.N * g.K) / m.seconds / 1e9;
      r = { gemm: g, seconds: m.seconds, rme: m.rme, gflops, usedBy: new Set() };
      this.rates.set(key(g), r);
    }
    r.usedBy.add(`${usedBy} ${g.name}`);
    return r;
  }

  /** Seconds the step's GEMMs take at the measured rates: sum_i share_i 2 M N K / rate_i. */
  boundSeconds(gemms: StepGemm[], usedBy: string): number {
    return gemms.reduce(
      (sum, g) => sum + (g.share * 2 * g.M * g.N * g.K) / this.rate(g, usedBy).gflops / 1e9,
      0,
    );
  }

  table(): string {
    const rows = [...this.rates.values()].map((r) => [
      `${r.gemm.M} x ${r.gemm.N} x ${r.gemm.K}`,
      `${r.gemm.transA ? 'T' : 'N'}${r.gemm.transB ? 'T' : 'N'}`,
      `${(r.seconds * 1e3).toFixed(3)} ± ${r.rme.toFixed(1)}%`,
      r.gflops.toFixed(2),
      [...r.usedBy].join('; '),
    ]);
    return table(['M x N x K', 'op', 'dgemm (ms)', 'GFLOP/s', 'used by'], rows);
  }
}
