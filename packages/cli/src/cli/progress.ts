/**
 * A small progress bar with rate and ETA on stderr. It draws only on a TTY and never in --json mode,
 * so scripts and logs see nothing; redraws are throttled to 10 per second.
 */
export interface ProgressOptions {
  label: string;
  total?: number;
  unit?: string;
  enabled: boolean;
  stream?: NodeJS.WriteStream;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export class ProgressBar {
  private done = 0;
  private total: number | undefined;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly stream: NodeJS.WriteStream;
  private drawn = false;
  private ticker: NodeJS.Timeout | null = null;

  constructor(private readonly opts: ProgressOptions) {
    this.total = opts.total;
    this.stream = opts.stream ?? process.stderr;
  }

  get active(): boolean {
    return this.opts.enabled && this.stream.isTTY === true;
  }

  setTotal(total: number): void {
    this.total = total;
  }

  tick(n = 1, item?: string): void {
    this.update(this.done + n, item);
  }

  update(done: number, item?: string): void {
    this.done = done;
    if (!this.active) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && (this.total === undefined || done < this.total)) return;
    this.lastDraw = now;
    this.draw(item);
  }

  /** The line as drawn (exported for tests). */
  line(item?: string, width = this.stream.columns || 80): string {
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const unit = this.opts.unit ?? 'items';
    const rateText = `${rate >= 100 ? Math.round(rate) : rate.toFixed(1)} ${unit}/s`;
    let text: string;
    if (this.total !== undefined && this.total > 0) {
      const frac = Math.min(1, this.done / this.total);
      const barWidth = 20;
      const filled = Math.round(frac * barWidth);
      const eta = rate > 0 ? (this.total - this.done) / rate : Number.NaN;
      text =
        `${this.opts.label} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ` +
        `${this.done}/${this.total} ${String(Math.round(frac * 100)).padStart(3)}% ${rateText} ETA ${formatDuration(eta)}`;
    } else {
      text = `${this.opts.label} ${this.done} ${unit} ${rateText} ${formatDuration(elapsed)}`;
    }
    if (item) text += ` ${item}`;
    // Never wrap: a wrapped line could not be redrawn in place.
    return width >= 20 && text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text;
  }

  private draw(item?: string): void {
    this.stream.write(`\r\u001b[2K${this.line(item)}`);
    this.drawn = true;
  }

  /** Redraws twice a second while one long call runs, so elapsed time moves without callbacks. */
  start(): void {
    if (!this.active || this.ticker) return;
    this.draw();
    this.ticker = setInterval(() => this.draw(), 500);
    this.ticker.unref();
  }

  /** Clears the bar (the command prints its own summary). */
  finish(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    if (this.drawn) this.stream.write('\r\u001b[2K');
    this.drawn = false;
  }
}
