// The results panel page: receives run events from the extension host, folds them into run
// models, and redraws at most once per animation frame, so thousands of streamed tokens stay smooth.

import type { RunEvent } from '../runs/events';
import { RunModel, mergeChange, noChange, type Change } from '../runs/run_model';
import { h } from './dom';
import { pageLoaded } from './lazy_markdown';
import { STATUS_LABEL, clock } from './format';
import type { FromPage, ToPage } from './protocol';
import { RunView } from './run_view';

interface VsCodeApi {
  postMessage(message: FromPage): void;
  getState(): { selected?: string } | undefined;
  setState(state: { selected?: string }): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const scriptAt = Date.now();
const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

const models = new Map<string, RunModel>();
const views = new Map<string, RunView>();
let selected: string | null = vscode.getState()?.selected ?? null;
let queue: { runId: string; events: RunEvent[]; replace: boolean; lost?: string }[] = [];
let frame: number | null = null;
let shown: RunView | null = null;
const painted = new Set<string>();

const picker = h('select', { class: 'run-picker', 'aria-label': 'Run' });
picker.addEventListener('change', () => select(picker.value, true));
const toolbar = h('nav', { class: 'toolbar' }, h('label', {}, 'Run ', picker));

function select(runId: string, byUser: boolean): void {
  selected = runId;
  vscode.setState({ selected: runId });
  if (byUser) vscode.postMessage({ type: 'selected', run_id: runId });
  schedule();
}

function viewOf(runId: string): RunView {
  let view = views.get(runId);
  if (!view) {
    view = new RunView(models.get(runId)!, {
      answer: (action) => vscode.postMessage({ type: 'answer', action, run_id: runId }),
      cancel: () => vscode.postMessage({ type: 'cancel', run_id: runId }),
    });
    views.set(runId, view);
  }
  return view;
}

function schedule(): void {
  frame ??= requestAnimationFrame(render);
}

/** Applies every queued event, then updates the shown run's view once. */
function render(): void {
  frame = null;
  const changes = new Map<string, Change>();
  let listChanged = false;
  for (const { runId, events, replace, lost } of queue) {
    if (replace || !models.has(runId)) {
      listChanged ||= !models.has(runId);
      models.set(runId, new RunModel(runId));
      views.delete(runId);
      changes.set(runId, { structure: true, run: true, agents: new Set() });
    }
    const model = models.get(runId)!;
    const change = changes.get(runId) ?? noChange();
    for (const event of events) mergeChange(change, model.apply(event));
    if (lost) mergeChange(change, model.abandon(lost));
    changes.set(runId, change);
    if (change.run) listChanged = true;
  }
  queue = [];
  if (selected === null || !models.has(selected)) selected = [...models.keys()].at(-1) ?? null;
  if (listChanged || picker.value !== selected) drawPicker();
  if (selected === null) return;
  const view = viewOf(selected);
  if (shown !== view) {
    shown = view;
    app.replaceChildren(toolbar, view.root);
  } else if (view.update(changes.get(selected) ?? noChange())) {
    schedule(); // text held back (redrawn at most every TEXT_INTERVAL_MS) is drawn in a later frame
  }
  reportFirstText(selected);
}

/** Tells the extension host when a run's first streamed text has been painted (once per run). */
function reportFirstText(runId: string): void {
  if (painted.has(runId) || !models.get(runId)?.agents.some((agent) => agent.text !== '')) return;
  painted.add(runId);
  // A task queued in a frame's callback runs after that frame is painted; VS Code shows the
  // page once it has loaded.
  setTimeout(() => void pageLoaded().then(() => vscode.postMessage({ type: 'firstText', run_id: runId, at: Date.now() })), 0);
}

function drawPicker(): void {
  const options = [...models.values()].map((model) => {
    const label = `${model.ensemble || model.runId} · ${clock(model.startedTime)} · ${STATUS_LABEL[model.status]}`;
    const option = h('option', { value: model.runId }, label);
    option.selected = model.runId === selected;
    return option;
  });
  picker.replaceChildren(...options.reverse());
  if (selected) picker.value = selected;
}

window.addEventListener('message', (event: MessageEvent<ToPage>) => {
  const message = event.data;
  switch (message.type) {
    case 'reset':
      models.clear();
      views.clear();
      shown = null;
      queue = message.runs.map((run) => ({ runId: run.run_id, events: run.events, replace: true, lost: run.lost }));
      if (message.selected) selected = message.selected;
      break;
    case 'events':
      queue.push({ runId: message.run_id, events: message.events, replace: message.replace ?? false, lost: message.lost });
      break;
    case 'select':
      selected = message.run_id;
      vscode.setState({ selected: message.run_id });
      break;
  }
  schedule();
});

vscode.postMessage({ type: 'ready', navigatedAt: Math.round(performance.timeOrigin), scriptAt });
