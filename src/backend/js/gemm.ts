/**
 * Row-major C = alpha op(A) op(B) + beta C, the twin of the native binding's BLAS dgemm. Loops in
 * i-p-j order so the innermost loop runs along rows of B and C when B is not transposed.
 */
import type { GemmOptions } from '../types.js';
import { dimension, lengthIs } from './check.js';

export function gemm(o: GemmOptions, A: Float64Array, B: Float64Array, C: Float64Array): void {
  const { alpha, beta } = o;
  const M = dimension(o.M, 'M');
  const N = dimension(o.N, 'N');
  const K = dimension(o.K, 'K');
  // The loops run over these arrays: checked, a wrong size cannot make them run for ever.
  lengthIs(A, M * K, 'A', 'M*K');
  lengthIs(B, K * N, 'B', 'K*N');
  lengthIs(C, M * N, 'C', 'M*N');
  const a = (i: number, p: number): number => (o.transA ? A[p * M + i]! : A[i * K + p]!);
  const b = (p: number, j: number): number => (o.transB ? B[j * K + p]! : B[p * N + j]!);
  const row = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    row.fill(0);
    for (let p = 0; p < K; p++) {
      const aip = a(i, p);
      for (let j = 0; j < N; j++) row[j]! += aip * b(p, j);
    }
    for (let j = 0; j < N; j++) {
      // beta = 0 overwrites, as BLAS does, so C may start as garbage (even NaN).
      C[i * N + j] = alpha * row[j]! + (beta === 0 ? 0 : beta * C[i * N + j]!);
    }
  }
}
