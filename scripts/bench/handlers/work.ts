/** The trivial unit of work every variant does once per span (bare does it without a span). */
export const work = (): Promise<number> => Promise.resolve(1);

export interface BenchEvent { spans?: number }
