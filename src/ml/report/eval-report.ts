import type { Evaluation, SliceResult } from '../evaluation/evaluate.ts';
import type { MetricSet } from '../metrics/metric-set.ts';
import { esc, formatMetric, inlineScript, jsonForHtml } from './html-text.ts';

/** What the report says about where the numbers come from. */
export interface EvalReportContext {
  /** The model as the user named it: a directory or `models:/name/version`. */
  model: string;
  /** The data file. */
  data: string;
  generatedAt: Date;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9d1d9}
main{padding:8px 24px 32px}h2{font-size:17px;margin:24px 0 8px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:16px}
figure{margin:0;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px}
figcaption{font-weight:600;margin-bottom:8px}figcaption small{font-weight:400;color:#57606a;margin-left:6px}
.chart{position:relative;width:100%}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f8fa}
td.undef{color:#9a6700;font-style:italic}table.cm td{text-align:center;min-width:48px}
`;

/**
 * Drawn in the page with Chart.js: each chart is a scatter chart with lines; `diagonal` adds the
 * dashed reference line (chance for ROC, perfect calibration). Opened with `#check`, the page
 * also counts the painted pixels of each canvas (`data-painted`), for tests.
 */
const BOOT = `(function(){
var data=JSON.parse(document.getElementById('cairn-eval-data').textContent);
var drawn=0;
data.charts.forEach(function(c){
  var canvas=document.getElementById(c.id);
  var sets=[{label:c.label,data:c.x.map(function(x,i){return{x:x,y:c.y[i]};}),showLine:true,borderColor:'#1f77b4',
    backgroundColor:'#1f77b4',borderWidth:2,pointRadius:c.x.length>40?0:3,tension:0,stepped:c.stepped?'after':false}];
  if(c.diagonal)sets.push({label:c.diagonal,data:[{x:0,y:0},{x:1,y:1}],showLine:true,borderColor:'#999',
    borderDash:[5,5],borderWidth:1,pointRadius:0});
  var axis=function(t){return{type:'linear',min:0,max:1,title:{display:true,text:t}};};
  new Chart(canvas,{type:'scatter',data:{datasets:sets},options:{animation:false,responsive:true,aspectRatio:1.2,
    scales:{x:axis(c.xLabel),y:axis(c.yLabel)},plugins:{legend:{display:sets.length>1}}}});
  drawn++;
  if(location.hash==='#check'){var px=canvas.getContext('2d').getImageData(0,0,canvas.width,canvas.height).data,n=0;
    for(var i=3;i<px.length;i+=4)if(px[i]>0)n++;canvas.setAttribute('data-painted',String(n));}
});
document.body.setAttribute('data-charts-drawn',String(drawn));
})();`;

interface ChartSpec {
  id: string;
  title: string;
  note: string;
  label: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  y: number[];
  diagonal?: string;
  stepped?: boolean;
}

/**
 * The evaluation as one HTML file with everything inlined — styles, data, Chart.js's source and
 * the code that draws with it — so it opens offline and can be attached to a run or a pull request
 * as it is: the metrics, ROC, precision-recall and calibration curves, the confusion matrix, and
 * one table per slice.
 */
export function renderEvalReport(e: Evaluation, context: EvalReportContext, chartLibrary: string): string {
  const charts = chartsOf(e);
  const sections = [metricsTable(e)];
  if (charts.length > 0)
    sections.push(
      `<h2>Curves</h2><div class="grid">${charts
        .map(
          (c) =>
            `<figure><figcaption>${esc(c.title)}<small>${esc(c.note)}</small></figcaption><div class="chart"><canvas id="${c.id}" role="img" aria-label="${esc(c.title)}"></canvas></div></figure>`,
        )
        .join('')}</div>`,
    );
  if (e.confusion_matrix) sections.push(confusionTable(e.confusion_matrix));
  for (const slice of e.slices) sections.push(sliceTable(slice, e.task));
  const title = `Evaluation of ${context.model}`;
  const sub = [
    `data ${context.data}`,
    `${e.rows} rows`,
    `target ${e.target}`,
    e.positive_class !== undefined ? `positive class ${e.positive_class}` : '',
    `generated ${context.generatedAt.toISOString()}`,
  ]
    .filter(Boolean)
    .join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><header><h1>${esc(title)}</h1><p>${esc(sub)}</p></header>
<main>${sections.join('\n')}</main>
<script>${inlineScript(chartLibrary)}</script>
<script type="application/json" id="cairn-eval-data">${jsonForHtml({ charts })}</script>
<script>${BOOT}</script>
</body></html>
`;
}

function chartsOf(e: Evaluation): ChartSpec[] {
  if (!e.curves) return [];
  const { roc, pr, calibration } = e.curves;
  const value = (name: string) => {
    const v = e.metrics.values[name];
    return v === undefined ? 'undefined' : formatMetric(v);
  };
  return [
    {
      id: 'chart-roc',
      title: 'ROC curve',
      note: `AUC ${value('roc_auc')}`,
      label: 'model',
      xLabel: 'false positive rate',
      yLabel: 'true positive rate',
      ...roc,
      diagonal: 'chance',
    },
    {
      id: 'chart-pr',
      title: 'Precision-recall curve',
      note: `average precision ${value('pr_auc')}`,
      label: 'model',
      xLabel: 'recall',
      yLabel: 'precision',
      ...pr,
      stepped: true,
    },
    {
      id: 'chart-calibration',
      title: 'Calibration curve',
      note: `${calibration.bins} equal-width bins; Brier score ${value('brier')}`,
      label: 'model',
      xLabel: 'mean predicted probability',
      yLabel: 'fraction of positives',
      x: calibration.predicted,
      y: calibration.observed,
      diagonal: 'perfectly calibrated',
    },
  ];
}

function metricCell(set: MetricSet, name: string): string {
  const v = set.values[name];
  if (v !== undefined) return `<td class="num">${esc(formatMetric(v))}</td>`;
  const why = set.undefined[name];
  return why !== undefined ? `<td class="undef" title="${esc(why)}">undefined</td>` : '<td></td>';
}

function metricsTable(e: Evaluation): string {
  const names = [...Object.keys(e.metrics.values), ...Object.keys(e.metrics.undefined)];
  const rows = names.map(
    (n) =>
      `<tr><th>${esc(n)}</th>${metricCell(e.metrics, n)}<td>${esc(e.metrics.undefined[n] ?? '')}</td></tr>`,
  );
  const threshold = e.threshold
    ? `<p>Decision threshold ${esc(formatMetric(e.threshold.value))}${e.threshold.spec !== String(e.threshold.value) ? ` (chosen by ${esc(e.threshold.spec)})` : ''}: a row is predicted ${esc(e.positive_class ?? 'positive')} when its probability is at least the threshold.</p>`
    : '';
  return `<h2>Metrics</h2>${threshold}<table id="metrics"><tr><th>metric</th><th>value</th><th>note</th></tr>${rows.join('')}</table>`;
}

function confusionTable(cm: { labels: string[]; matrix: number[][] }): string {
  const max = Math.max(1, ...cm.matrix.flat());
  const head = `<tr><th>actual \\ predicted</th>${cm.labels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr>`;
  const rows = cm.matrix.map((row, i) => {
    const cells = row.map((n, j) => {
      const alpha = (n / max) * 0.85;
      const color = i === j ? `rgba(31,119,180,${alpha.toFixed(3)})` : `rgba(214,39,40,${alpha.toFixed(3)})`;
      return `<td style="background:${color}${alpha > 0.5 ? ';color:#fff' : ''}">${n}</td>`;
    });
    return `<tr><th>${esc(cm.labels[i] ?? String(i))}</th>${cells.join('')}</tr>`;
  });
  return `<h2>Confusion matrix</h2><table class="cm" id="confusion-matrix">${head}${rows.join('')}</table>`;
}

const SLICE_METRICS = {
  classification: ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss'],
  regression: ['rmse', 'mae', 'r2', 'mape'],
};

function sliceTable(slice: SliceResult, task: Evaluation['task']): string {
  const names = SLICE_METRICS[task];
  const head = `<tr><th>${esc(slice.column)}</th><th>rows</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>`;
  const rows = slice.groups.map(
    (g) =>
      `<tr><td>${esc(g.label)}</td><td class="num">${g.rows}</td>${names.map((n) => metricCell(g.metrics, n)).join('')}</tr>`,
  );
  const how = slice.bins !== undefined ? ` (${slice.bins} equal-frequency bins)` : '';
  return `<h2>Slices by ${esc(slice.column)}${esc(how)}</h2><table class="slice" data-column="${esc(slice.column)}">${head}${rows.join('')}</table>`;
}
