import type { FigureLine } from './figure';
import { roundForDisplay } from './stats';

/** `bench <name>: <value> <unit> (baseline <value> <unit>, ratio <r>)`: one comparable line per figure. */
export function formatLine(result: FigureLine): string {
  const value = roundForDisplay(result.value);
  const baseline = roundForDisplay(result.baseline.value);
  return `bench ${result.name}: ${value} ${result.unit} (baseline ${baseline} ${result.baseline.unit}, ratio ${result.ratio.toFixed(2)})`;
}

/** A plain-text table: figure, value, baseline (and what it is), ratio, goal, note. */
export function formatTable(results: readonly FigureLine[]): string {
  const rows = [
    ['figure', 'value', 'baseline', 'ratio', 'goal', 'note'],
    ...results.map((r) => [
      r.name,
      `${roundForDisplay(r.value)} ${r.unit}`,
      `${roundForDisplay(r.baseline.value)} ${r.baseline.unit} (${r.baseline.what})`,
      r.ratio.toFixed(2),
      r.goal ? `${r.goal.text} ${r.goal.met ? 'met' : 'MISSED'}` : '',
      r.note ?? '',
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
