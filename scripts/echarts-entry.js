// The ECharts build the dashboard serves: only the chart types and
// components its charts use (dashboard/charts.go), from the pinned
// echarts package. `make assets` bundles it with the pinned esbuild into
// dashboard/assets/vendor/echarts.min.js, exposed as window.echarts.
import { use } from 'echarts/core';
import { BarChart, LineChart, RadarChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  MarkPointComponent,
  RadarComponent,
  TitleComponent,
  TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';

use([
  LineChart, BarChart, ScatterChart, RadarChart,
  TitleComponent, LegendComponent, TooltipComponent, GridComponent, RadarComponent,
  MarkLineComponent, MarkPointComponent,
  AriaComponent,
  // SVG only for the slide images a reader downloads (charts.js):
  // the pages draw on canvas.
  CanvasRenderer, SVGRenderer,
]);

export * from 'echarts/core';
