/**
 * A Prometheus histogram whose `observe` costs a few array writes, for values
 * that come once per batch on a pipeline's own thread: prom-client's
 * `Histogram.observe` cost 0.4–0.7 µs a call here, several per cent of a
 * light batch's whole cost. It is registered in a prom-client `Registry` as
 * a custom metric (an object with `name`, `help`, `type` and `get()`, which
 * is all a registry asks of one), so it is scraped and formatted with the
 * others: `<name>_bucket{le}` (cumulative), `<name>_sum` and `<name>_count`
 * per label value.
 */
import type { Metric, MetricValueWithName, Registry } from "prom-client";

/** What a registry reads from a metric when it formats it. */
export interface HistogramSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: "histogram";
  readonly aggregator: "sum";
  readonly values: MetricValueWithName<string>[];
}

export interface BucketHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** Upper bounds, ascending; `+Inf` is added. */
  readonly buckets: readonly number[];
  /** The one label that tells series apart (e.g. "lane"); none by default. */
  readonly labelName?: string;
  readonly registry: Registry;
}

/** One series: counts per bucket (the last is +Inf), sum and count. */
export interface HistogramSeries {
  observe(value: number): void;
}

class Series implements HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

export class BucketHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #bounds: readonly number[];
  readonly #labelName: string | undefined;
  readonly #series = new Map<string, Series>();

  /** Throws `RangeError` for bounds that are not finite and ascending. */
  constructor(options: BucketHistogramOptions) {
    const bounds = [...options.buckets];
    if (
      bounds.length === 0 ||
      bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number)))
    ) {
      throw new RangeError(`buckets must be finite and ascending, got ${JSON.stringify(options.buckets)}`);
    }
    this.name = options.name;
    this.help = options.help;
    this.#bounds = bounds;
    this.#labelName = options.labelName;
    options.registry.registerMetric(this as unknown as Metric);
  }

  /** The series for `labelValue` (ignored without a label name), made on first use. */
  series(labelValue = ""): HistogramSeries {
    let series = this.#series.get(labelValue);
    if (series === undefined) {
      series = new Series(this.#bounds);
      this.#series.set(labelValue, series);
    }
    return series;
  }

  /** What a registry formats: cumulative buckets, then sum and count, per series. */
  async get(): Promise<HistogramSnapshot> {
    const values: MetricValueWithName<string>[] = [];
    for (const [labelValue, series] of this.#series) {
      const labels = this.#labelName === undefined ? {} : { [this.#labelName]: labelValue };
      let cumulative = 0;
      series.counts.forEach((count, i) => {
        cumulative += count;
        const le = i < this.#bounds.length ? this.#bounds[i] : "+Inf";
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le } as never, value: cumulative });
      });
      values.push({ metricName: `${this.name}_sum`, labels: labels as never, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: labels as never, value: series.count });
    }
    return { name: this.name, help: this.help, type: "histogram", values, aggregator: "sum" };
  }
}
