import type { ConfusionPlot, LinePlot, PlotSpec } from './plot-spec.ts';

/** Everything one report shows. */
export interface PlotReport {
  title: string;
  generatedAt: Date;
  workspace?: string;
  runs: { run_id: string; run_name: string; status: string; start_time: number; experiment?: string }[];
  /** Metric histories, one chart per metric. */
  metricCharts: LinePlot[];
  /** Latest value of every metric of every run: columns are metric keys, one row per run. */
  latest: { keys: string[]; rows: { run: string; values: (number | undefined)[] }[] };
  /** The pipeline's plots files, by stage. */
  files: { stage: string; path: string; plots: PlotSpec[] }[];
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9d1d9}
main{padding:8px 24px 32px}h2{font-size:17px;margin:24px 0 8px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:16px}
figure{margin:0;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px}
figcaption{font-weight:600;margin-bottom:8px}figcaption small{font-weight:400;color:#57606a;margin-left:6px}
.chart{position:relative;width:100%}.note{color:#57606a;font-size:12px;margin:6px 0 0}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f8fa}
table.cm td{text-align:center;min-width:40px}.problem{color:#cf222e}img{max-width:100%}
`;

/**
 * Drawn in the page: every line plot becomes a Chart.js scatter chart with lines. Opened with
 * `#check`, the page also counts the painted pixels of each canvas (`data-painted`), for tests.
 */
const BOOT = `(function(){
var data=JSON.parse(document.getElementById('cairn-plot-data').textContent);
var palette=['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
var drawn=0;
data.charts.forEach(function(c){
  var canvas=document.getElementById(c.id);
  var sets=c.series.map(function(s,i){var col=palette[i%palette.length];return{label:s.label,
    data:s.points.map(function(p){return{x:p[0],y:p[1]};}),showLine:true,borderColor:col,backgroundColor:col,
    borderWidth:1.5,pointRadius:s.points.length>60?0:2.5,tension:0};});
  if(c.unitSquare)sets.push({label:'chance',data:[{x:0,y:0},{x:1,y:1}],showLine:true,borderColor:'#999',
    borderDash:[5,5],borderWidth:1,pointRadius:0});
  var axis=function(t){var a={type:'linear',title:{display:true,text:t}};if(c.unitSquare){a.min=0;a.max=1;}return a;};
  new Chart(canvas,{type:'scatter',data:{datasets:sets},options:{animation:false,responsive:true,
    aspectRatio:c.unitSquare?1.2:1.6,interaction:{mode:'nearest',intersect:false},
    scales:{x:axis(c.x),y:axis(c.y)},plugins:{legend:{display:sets.length>1}}}});
  drawn++;
  if(location.hash==='#check'){var px=canvas.getContext('2d').getImageData(0,0,canvas.width,canvas.height).data,n=0;
    for(var i=3;i<px.length;i+=4)if(px[i]>0)n++;canvas.setAttribute('data-painted',String(n));}
});
document.body.setAttribute('data-charts-drawn',String(drawn));
})();`;

/**
 * The report as one HTML file with everything inlined: styles, data, the charting library's
 * source and the code that draws with it. It loads nothing from anywhere, so it opens offline
 * and can be attached to a run, a pull request or an email as it is.
 */
export function renderPlotReport(report: PlotReport, chartLibrary: string): string {
  const charts: { id: string; plot: LinePlot }[] = [];
  const figure = (plot: PlotSpec, caption: string, note: string): string => {
    const head = `<figcaption>${esc(caption)}<small>${esc(note)}</small></figcaption>`;
    switch (plot.kind) {
      case 'line': {
        const id = `chart-${charts.length + 1}`;
        charts.push({ id, plot });
        const note = plot.note ? `<p class="note">${esc(plot.note)}</p>` : '';
        return `<figure>${head}<div class="chart"><canvas id="${id}" role="img" aria-label="${esc(caption)}"></canvas></div>${note}</figure>`;
      }
      case 'confusion':
        return `<figure>${head}${confusionTable(plot)}</figure>`;
      case 'image':
        return `<figure>${head}<img alt="${esc(plot.title)}" src="data:${plot.mime};base64,${plot.base64}"></figure>`;
      case 'problem':
        return `<figure>${head}<p class="problem">${esc(plot.message)}</p></figure>`;
    }
  };
  const sections: string[] = [runsTable(report)];
  if (report.metricCharts.length > 0)
    sections.push(
      `<h2>Metric histories</h2><div class="grid">${report.metricCharts.map((c) => figure(c, c.title, c.source)).join('')}</div>`,
    );
  if (report.latest.keys.length > 0) sections.push(latestTable(report.latest));
  if (report.files.length > 0)
    sections.push(
      `<h2>Pipeline plots</h2><div class="grid">${report.files
        .flatMap((f) => f.plots.map((p) => figure(p, p.title, `stage ${f.stage}`)))
        .join('')}</div>`,
    );
  if (sections.length === 1) sections.push('<p>No metric histories and no plots files to show.</p>');
  const data = {
    charts: charts.map(({ id, plot }) => ({
      id,
      x: plot.x,
      y: plot.y,
      unitSquare: plot.unitSquare ?? false,
      series: plot.series,
    })),
  };
  const sub = [
    `generated ${report.generatedAt.toISOString()}`,
    report.workspace ? `workspace ${report.workspace}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(report.title)}</title><style>${STYLE}</style></head>
<body><header><h1>${esc(report.title)}</h1><p>${esc(sub)}</p></header>
<main>${sections.join('\n')}</main>
<script>${inlineScript(chartLibrary)}</script>
<script type="application/json" id="cairn-plot-data">${jsonForHtml(data)}</script>
<script>${BOOT}</script>
</body></html>
`;
}

function runsTable(report: PlotReport): string {
  if (report.runs.length === 0) return '<h2>Runs</h2><p>No run selected.</p>';
  const rows = report.runs.map(
    (r) =>
      `<tr><td><code>${esc(r.run_id)}</code></td><td>${esc(r.run_name)}</td><td>${esc(r.experiment ?? '')}</td><td>${esc(r.status)}</td><td>${esc(new Date(r.start_time).toISOString())}</td></tr>`,
  );
  return `<h2>Runs</h2><table><tr><th>run id</th><th>name</th><th>experiment</th><th>status</th><th>started</th></tr>${rows.join('')}</table>`;
}

function latestTable(latest: PlotReport['latest']): string {
  const head = `<tr><th>run</th>${latest.keys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>`;
  const rows = latest.rows.map(
    (r) =>
      `<tr><td>${esc(r.run)}</td>${r.values.map((v) => `<td class="num">${v === undefined ? '' : esc(formatValue(v))}</td>`).join('')}</tr>`,
  );
  return `<h2>Latest metrics</h2><table>${head}${rows.join('')}</table>`;
}

function confusionTable(plot: ConfusionPlot): string {
  const max = Math.max(1, ...plot.matrix.flat());
  const head = `<tr><th>actual \\ predicted</th>${plot.labels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr>`;
  const rows = plot.matrix.map((row, i) => {
    const cells = row.map((n, j) => {
      const alpha = (n / max) * 0.85;
      const color = i === j ? `rgba(31,119,180,${alpha.toFixed(3)})` : `rgba(214,39,40,${alpha.toFixed(3)})`;
      return `<td style="background:${color}${alpha > 0.5 ? ';color:#fff' : ''}">${n}</td>`;
    });
    return `<tr><th>${esc(plot.labels[i] ?? String(i))}</th>${cells.join('')}</tr>`;
  });
  return `<table class="cm">${head}${rows.join('')}</table>`;
}

function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const text = v.toPrecision(6);
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot end its <script> element early. */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Script text that cannot end its <script> element early (`</script` inside a string). */
function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1');
}
