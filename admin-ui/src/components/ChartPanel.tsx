// A chart and a table of the same numbers (ADMIN_CONSOLE.md §4: every chart has a table view).
// Chart.js draws on a canvas and sets sizes through the CSSOM, so the strict CSP holds.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatCount } from '../lib/format.js';
import { Card, EmptyState } from './ui.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);

export interface Series {
  label: string;
  values: number[];
  color: string;
}

export const PALETTE = {
  blue: '#2563eb',
  teal: '#0d9488',
  amber: '#d97706',
  red: '#dc2626',
  violet: '#7c3aed',
  grey: '#64748b',
  green: '#16a34a',
  pink: '#db2777',
};

export function ChartPanel(props: {
  title: string;
  labels: string[];
  series: Series[];
  type?: 'bar' | 'line';
  stacked?: boolean;
  /** Formats values in the table and the axis (money, counts). */
  format?: (value: number) => string;
  testId: string;
  /** Show a total row in the table (off for figures that do not add up, such as a balance). */
  totals?: boolean;
}) {
  const [view, setView] = useState<'chart' | 'table'>('chart');
  const canvas = useRef<HTMLCanvasElement>(null);
  const format = props.format ?? ((v: number) => formatCount(v));
  const empty = props.labels.length === 0 || props.series.every((s) => s.values.every((v) => v === 0));

  // Redraw only when the numbers change, not on every render of the page.
  const dataKey = JSON.stringify([props.labels, props.series, props.type, props.stacked]);
  useEffect(() => {
    if (view !== 'chart' || !canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: props.type ?? 'bar',
      data: {
        labels: props.labels,
        datasets: props.series.map((s) => ({
          label: s.label,
          data: s.values,
          backgroundColor: s.color,
          borderColor: s.color,
          borderWidth: props.type === 'line' ? 2 : 0,
          pointRadius: props.type === 'line' ? 2 : 0,
          tension: 0,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label ?? ''}: ${format(Number(item.raw))}` } },
        },
        scales: {
          x: { stacked: props.stacked, grid: { display: false } },
          y: {
            stacked: props.stacked,
            beginAtZero: true,
            ticks: { callback: (value) => format(Number(value)), precision: 0 },
          },
        },
      },
    });
    return () => chart.destroy();
  }, [view, dataKey]);

  const totals = props.series.map((s) => s.values.reduce((a, b) => a + b, 0));
  return (
    <Card
      title={props.title}
      actions={
        <div class="segmented small" role="group" aria-label={`${props.title}: view`}>
          <button type="button" aria-pressed={view === 'chart'} onClick={() => setView('chart')}>
            Chart
          </button>
          <button
            type="button"
            aria-pressed={view === 'table'}
            onClick={() => setView('table')}
            data-testid={`${props.testId}-table-toggle`}
          >
            Table
          </button>
        </div>
      }
    >
      <div data-testid={props.testId}>
        {empty && view === 'chart' ? (
          <EmptyState title="No data in this range" />
        ) : view === 'chart' ? (
          <div class="chart-box">
            <canvas ref={canvas} role="img" aria-label={`${props.title} chart; switch to Table for the numbers`} />
          </div>
        ) : (
          <div class="table-wrap">
            <table class="table compact" data-testid={`${props.testId}-table`}>
              <thead>
                <tr>
                  <th>Period</th>
                  {props.series.map((s) => (
                    <th class="num" key={s.label}>
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {props.labels.map((label, row) => (
                  <tr key={label}>
                    <td>{label}</td>
                    {props.series.map((s) => (
                      <td class="num" key={s.label}>
                        {format(s.values[row] ?? 0)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
              {props.totals === false ? null : (
                <tfoot>
                  <tr data-testid={`${props.testId}-total`}>
                    <th>Total</th>
                    {props.series.map((s, i) => (
                      <th class="num" key={s.label} data-series={s.label}>
                        {format(totals[i])}
                      </th>
                    ))}
                  </tr>
                </tfoot>
              )}
            </table>
          </div>
        )}
      </div>
    </Card>
  );
}
