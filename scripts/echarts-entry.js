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
  ToolboxComponent,
  TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([
  LineChart, BarChart, ScatterChart, RadarChart,
  TitleComponent, LegendComponent, TooltipComponent, GridComponent, RadarComponent,
  MarkLineComponent, MarkPointComponent,
  ToolboxComponent, AriaComponent,
  CanvasRenderer,
]);

export * from 'echarts/core';
