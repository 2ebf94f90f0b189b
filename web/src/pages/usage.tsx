/** The account's usage per UTC day (from the usage ledger): requests, images, megapixels, compute, engines; and its limits. */
import { useEffect, useState } from 'preact/hooks';
import { number } from '../format.js';
import type { Session, Usage, UsageDay } from '../session.js';
import { ErrorBanner } from '../components/notes.js';

const PERIODS = [7, 30, 90];

export function UsagePage({ session }: { session: Session }) {
  const [days, setDays] = useState(30);
  const [rows, setRows] = useState<UsageDay[] | undefined>();
  const [limits, setLimits] = useState<Usage['limits'] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    setRows(undefined);
    session.usage(days).then(
      (u) => {
        setRows(u.days);
        setLimits(u.limits);
      },
      (err: Error) => setError(err.message),
    );
  }, [session, days]);

  const total = (rows ?? []).reduce(
    (t, d) => ({ requests: t.requests + d.requests, images: t.images + d.images, mp: t.mp + d.output_megapixels, seconds: t.seconds + d.compute_seconds }),
    { requests: 0, images: 0, mp: 0, seconds: 0 },
  );
  const series = fillDays(rows ?? [], days);
  const peak = Math.max(1, ...series.map((d) => d.requests));

  return (
    <div class="usage">
      <div class="page-head">
        <div>
          <h1 tabIndex={-1}>Usage</h1>
          <p class="summary">What this account's requests used, on the day each ended (UTC).</p>
          <p class="summary limits" aria-label="Limits">{describeLimits(limits)}</p>
        </div>
        <label class="period">
          Period
          <select value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                Last {p} days
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBanner message={error} />
      <div class="stats">
        <div class="card stat">
          <span class="stat-value">{number(total.requests)}</span>
          <span class="muted">requests</span>
        </div>
        <div class="card stat">
          <span class="stat-value">{number(total.images)}</span>
          <span class="muted">output images</span>
        </div>
        <div class="card stat">
          <span class="stat-value">{number(total.mp, 1)}</span>
          <span class="muted">output megapixels</span>
        </div>
        <div class="card stat">
          <span class="stat-value">{number(total.seconds, 1)}</span>
          <span class="muted">compute seconds</span>
        </div>
      </div>
      <section class="card" aria-labelledby="usage-chart">
        <h2 id="usage-chart">Requests per day</h2>
        <div class="chart" aria-hidden="true">
          {series.map((d) => (
            <span key={d.day} class="bar" title={`${d.day}: ${d.requests} requests`}>
              <span style={{ height: `${(d.requests / peak) * 100}%` }} />
            </span>
          ))}
        </div>
        <div class="chart-axis muted small" aria-hidden="true">
          <span>{series[0]?.day}</span>
          <span>{series[series.length - 1]?.day}</span>
        </div>
      </section>
      <section class="card" aria-labelledby="usage-table">
        <h2 id="usage-table">By day</h2>
        {!rows ? <p class="muted loading">Loading…</p> : null}
        {rows && rows.length === 0 ? <p class="muted">No requests in this period.</p> : null}
        {rows && rows.length > 0 ? (
          <div class="table-wrap">
            <table class="usage-table">
              <thead>
                <tr>
                  <th scope="col">Day (UTC)</th>
                  <th scope="col" class="num">Requests</th>
                  <th scope="col" class="num">Completed</th>
                  <th scope="col" class="num">Failed</th>
                  <th scope="col" class="num">Images</th>
                  <th scope="col" class="num">Output MP</th>
                  <th scope="col" class="num">Compute s</th>
                  <th scope="col">Engines</th>
                </tr>
              </thead>
              <tbody>
                {[...rows].reverse().map((d) => (
                  <tr key={d.day}>
                    <th scope="row">{d.day}</th>
                    <td class="num">{number(d.requests)}</td>
                    <td class="num">{number(d.completed)}</td>
                    <td class="num">{number(d.failed)}</td>
                    <td class="num">{number(d.images)}</td>
                    <td class="num">{number(d.output_megapixels, 2)}</td>
                    <td class="num">{number(d.compute_seconds, 1)}</td>
                    <td class="small">
                      {Object.entries(d.engines)
                        .map(([name, n]) => `${name} ${n}`)
                        .join(', ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </div>
  );
}

/** Every day of the period, with zeros for the days the server has no row for. */
function describeLimits(limits: Usage['limits'] | undefined): string {
  if (!limits) return '';
  const parts = [
    limits.rpm !== undefined ? `${limits.rpm} submits a minute` : '',
    limits.concurrent !== undefined ? `${limits.concurrent} requests queued or running at once` : '',
    limits.daily_images !== undefined ? `${limits.daily_images} output images a day` : '',
  ].filter(Boolean);
  return parts.length ? `Limits: ${parts.join(', ')}.` : 'No limits on this account.';
}

function fillDays(rows: UsageDay[], days: number): { day: string; requests: number }[] {
  const byDay = new Map(rows.map((r) => [r.day, r.requests]));
  const today = new Date();
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const out: { day: string; requests: number }[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(start - i * 86_400_000).toISOString().slice(0, 10);
    out.push({ day, requests: byDay.get(day) ?? 0 });
  }
  return out;
}
