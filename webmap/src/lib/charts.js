// ECharts with only what the pages draw, a dark look shared by every chart, and
// instances that are created once, updated with setOption and resized with
// their box.
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { GRID_LINE, MUTED, TEXT } from './theme.js';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export { echarts };

export const FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';

// rem is the page's root font size, so charts scale with the text on a big wall.
export const rem = () => parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;

// chart makes an instance in el. The instance is also el.chart, so that the
// browser test can show a tooltip (dispatchAction showTip) of exactly the row it
// seeded. Tooltips are HTML: ECharts escapes the names of its own markup, and
// a formatter returns elements (h()), never a string built from data.
export function chart(el) {
  const c = echarts.init(el, null, { renderer: 'canvas' });
  el.chart = c;
  const ro = new ResizeObserver(() => c.resize());
  ro.observe(el);
  return {
    instance: c,
    set(option, notMerge = false) {
      c.setOption(option, { notMerge, lazyUpdate: true });
    },
    dispose() {
      ro.disconnect();
      c.dispose();
    },
  };
}

export function axisStyle(size = rem()) {
  return {
    axisLine: { lineStyle: { color: GRID_LINE } },
    axisTick: { show: false },
    axisLabel: { color: MUTED, fontSize: size * 0.85, fontFamily: FONT },
    splitLine: { lineStyle: { color: GRID_LINE, type: 'dashed' } },
    nameTextStyle: { color: MUTED, fontSize: size * 0.8, fontFamily: FONT },
  };
}

export function baseOption(size = rem()) {
  return {
    backgroundColor: 'transparent',
    textStyle: { color: TEXT, fontFamily: FONT, fontSize: size },
    animationDuration: 600,
    animationDurationUpdate: 500,
    tooltip: {
      backgroundColor: '#0d1628', borderColor: '#24324d', textStyle: { color: TEXT, fontFamily: FONT, fontSize: size * 0.85 },
    },
    legend: { textStyle: { color: MUTED, fontSize: size * 0.85, fontFamily: FONT }, icon: 'roundRect', itemWidth: size * 0.9, itemHeight: size * 0.6 },
  };
}
