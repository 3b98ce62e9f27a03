// Draws one run: the toolbar (status, totals, cancel), the final answer, the dependency graph
// and one card per agent. Built once per run, then updated in place with only what changed.

import type { AgentView, Change, RunModel } from '../runs/run_model';
import { TERMINAL_AGENT } from '../runs/run_model';
import { h, setText, svg } from './dom';
import { STATUS_LABEL, agentMeta, cost, seconds, tokens } from './format';
import { layoutGraph, type GraphLayout } from './graph_layout';
import { loadMarkdown } from './lazy_markdown';
import type { AnswerAction } from './protocol';

export interface ViewActions {
  answer(action: AnswerAction): void;
  cancel(): void;
}

interface Card {
  root: HTMLElement;
  badge: HTMLElement;
  meta: HTMLElement;
  note: HTMLElement;
  text: HTMLElement;
  textNode: Text;
  footer: HTMLElement;
  /** What the text box shows: the attempt and how much of its text, and when it was written. */
  attempt: number;
  length: number;
  textAt: number;
}

/**
 * A streaming card's text is redrawn at most this often (its first text, a new attempt and the
 * final output at once; the rest of the card every frame): laying out ten long, growing texts
 * on every frame is what kept the panel from being smooth while they stream.
 */
export const TEXT_INTERVAL_MS = 100;
/** At most this many streaming texts are redrawn in one frame (the longest waiting first), so
 * the cards take turns instead of all laying out in the same frame. */
export const TEXTS_PER_FRAME = 2;

const ANSWER_BUTTONS: [AnswerAction, string][] = [
  ['copy', 'Copy'],
  ['insert', 'Insert into Editor'],
  ['open', 'Open as Document'],
];

export class RunView {
  readonly root = h('div', { class: 'run' });
  private readonly status = h('span', { class: 'run-status' });
  private readonly totals = h('span', { class: 'totals' });
  private readonly cancelButton = h('button', { class: 'cancel', type: 'button' }, 'Cancel Run');
  private readonly answer = h('section', { class: 'answer', 'aria-label': 'Final answer' });
  private readonly graph = h('section', { class: 'graph', 'aria-label': 'Dependency graph' });
  private readonly cards = h('section', { class: 'cards', 'aria-label': 'Agents' });
  private readonly warnings = h('section', { class: 'warnings' });
  private readonly cardByAgent = new Map<string, Card>();
  private nodeByAgent = new Map<string, SVGElement>();
  private answerShown: string | null = null;
  /** Agents whose card shows less text than they have written. */
  private readonly textBehind = new Set<string>();

  constructor(
    private readonly model: RunModel,
    private readonly actions: ViewActions,
  ) {
    this.cancelButton.addEventListener('click', () => actions.cancel());
    const toolbar = h('div', { class: 'run-toolbar' }, this.status, this.totals, this.cancelButton);
    this.root.append(toolbar, this.answer, this.graph, this.cards, this.warnings);
    this.update({ structure: true, run: true, agents: new Set() });
  }

  /** Draws CHANGE (and any text held back before that is now due); whether text is still held
   * back (then the page draws another frame). */
  update(change: Change, now = performance.now()): boolean {
    if (change.structure) this.rebuild(now);
    for (const name of change.agents) this.textBehind.add(name);
    const due = this.dueTexts(now);
    // Read every scroll position first, then write: one layout per frame, not one per card.
    const stick = due.map((name) => this.cardByAgent.get(name)).filter((card) => card && atBottom(card.text));
    for (const name of change.agents) this.updateAgent(name);
    for (const name of due) {
      this.textBehind.delete(name);
      const card = this.cardByAgent.get(name);
      const agent = this.model.agent(name);
      if (card && agent) this.updateText(card, agent, now);
    }
    for (const card of stick) card!.text.scrollTop = card!.text.scrollHeight;
    if (change.run || change.structure) this.updateRun();
    return this.textBehind.size > 0;
  }

  /** The agents whose text is drawn in this frame: every first text, new attempt and final
   * output, and the streaming ones waited longest for, up to TEXTS_PER_FRAME. */
  private dueTexts(now: number): string[] {
    const due: string[] = [];
    const streaming: { name: string; since: number }[] = [];
    for (const name of this.textBehind) {
      const agent = this.model.agent(name);
      const card = this.cardByAgent.get(name);
      const growing = agent && card && card.attempt === agent.attempt && card.length > 0 && agent.text.length >= card.length;
      if (!growing || TERMINAL_AGENT.has(agent.status)) due.push(name);
      else if (now - card.textAt >= TEXT_INTERVAL_MS) streaming.push({ name, since: card.textAt });
    }
    streaming.sort((a, b) => a.since - b.since);
    return [...due, ...streaming.slice(0, TEXTS_PER_FRAME).map(({ name }) => name)];
  }

  private rebuild(now = performance.now()): void {
    const agents = this.model.agents;
    for (const agent of agents) {
      if (!this.cardByAgent.has(agent.name)) {
        const card = this.makeCard(agent);
        this.cardByAgent.set(agent.name, card);
        this.cards.append(card.root);
      }
    }
    this.drawGraph(layoutGraph(agents));
    for (const agent of agents) {
      this.updateAgent(agent.name);
      this.updateText(this.cardByAgent.get(agent.name)!, agent, now);
      this.textBehind.delete(agent.name);
    }
  }

  private makeCard(agent: AgentView): Card {
    const badge = h('span', { class: 'badge' });
    const meta = h('div', { class: 'meta' });
    const note = h('div', { class: 'note' });
    const textNode = document.createTextNode('');
    const text = h('pre', { class: 'text', tabindex: '0', 'aria-label': `${agent.name} output` }, textNode);
    const footer = h('footer', { class: 'figures' });
    const root = h(
      'article',
      { class: 'card', 'data-agent': agent.name },
      h('header', {}, h('span', { class: 'name' }, agent.name), badge),
      meta,
      note,
      text,
      footer,
    );
    return { root, badge, meta, note, text, textNode, footer, attempt: -1, length: 0, textAt: -Infinity };
  }

  private drawGraph(layout: GraphLayout): void {
    const nodes = new Map<string, SVGElement>();
    const edges = layout.edges.map((edge) =>
      svg('path', {
        class: 'edge',
        'data-from': edge.from,
        'data-to': edge.to,
        d: edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' '),
        'marker-end': 'url(#arrow)',
      }),
    );
    const boxes = layout.nodes.map((node) => {
      const group = svg(
        'g',
        { class: 'node', 'data-agent': node.name, transform: `translate(${node.x - node.width / 2},${node.y - node.height / 2})` },
        svg('title', {}, node.name),
        svg('rect', { width: node.width, height: node.height, rx: 6, ry: 6 }),
        svg('text', { x: node.width / 2, y: node.height / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, node.name),
      );
      nodes.set(node.name, group);
      return group;
    });
    const marker = svg(
      'defs',
      {},
      svg(
        'marker',
        { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' },
        svg('path', { class: 'arrowhead', d: 'M0,0 L10,5 L0,10 z' }),
      ),
    );
    const drawing = svg(
      'svg',
      { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, role: 'img', 'aria-label': 'Dependency graph' },
      marker,
      ...edges,
      ...boxes,
    );
    this.graph.replaceChildren(drawing);
    this.nodeByAgent = nodes;
  }

  private updateAgent(name: string): void {
    const agent = this.model.agent(name);
    const card = this.cardByAgent.get(name);
    if (!agent || !card) {
      if (agent) this.rebuild();
      return;
    }
    const statusClass = `card status-${agent.status}`;
    if (card.root.className !== statusClass) card.root.className = statusClass;
    setText(card.badge, STATUS_LABEL[agent.status]);
    setText(card.meta, agentMeta(agent));
    setText(card.note, agent.note ?? '');
    card.note.hidden = !agent.note;
    const figures = [seconds(agent.durationSeconds), tokens(agent.usage), cost(agent.usage)].filter(Boolean);
    setText(card.footer, figures.join(' · '));
    const node = this.nodeByAgent.get(name);
    if (node) {
      const nodeClass = `node status-${agent.status}`;
      if (node.getAttribute('class') !== nodeClass) node.setAttribute('class', nodeClass);
    }
  }

  /** Appends only the new text of the same attempt; a new attempt or a changed text redraws. */
  private updateText(card: Card, agent: AgentView, now: number): void {
    card.textAt = now;
    const box = card.text;
    if (card.attempt === agent.attempt && agent.text.length >= card.length) {
      if (agent.text.length > card.length) card.textNode.appendData(agent.text.slice(card.length));
    } else {
      card.textNode.data = agent.text;
    }
    card.attempt = agent.attempt;
    card.length = agent.text.length;
    box.hidden = agent.text === '';
  }

  private updateRun(): void {
    const model = this.model;
    this.status.className = `run-status status-${model.status}`;
    setText(this.status, `${model.ensemble || 'run'} · ${STATUS_LABEL[model.status]}`);
    const agents = model.agents;
    const done = agents.filter((a) => TERMINAL_AGENT.has(a.status)).length;
    const usage = model.usage;
    const duration = model.result ? seconds(model.result.duration_seconds) : seconds(model.at);
    setText(this.totals, `${done}/${agents.length} agents done · ${usage.total_tokens} tokens · ${cost(usage)} · ${duration}`);
    this.cancelButton.hidden = model.finished;
    this.updateAnswer();
    this.warnings.replaceChildren(...runProblems(model).map((line) => h('p', { class: 'warning' }, line)));
  }

  private updateAnswer(): void {
    const model = this.model;
    const output = model.finalAnswer?.output ?? null;
    const key = model.finished ? `done:${output ?? ''}` : 'running';
    if (key === this.answerShown) return;
    this.answerShown = key;
    const title = h('h2', {}, 'Final answer', model.finalAnswer ? h('small', {}, ` from ${model.finalAnswer.agent}`) : null);
    if (!model.finished) {
      this.answer.replaceChildren(title, h('p', { class: 'placeholder' }, 'The final answer appears here when the run finishes.'));
      return;
    }
    if (output === null) {
      const final = model.finalAnswer ? model.agent(model.finalAnswer.agent) : undefined;
      const why = final ? ` (${final.name} ${STATUS_LABEL[final.status]}${final.note ? `: ${final.note}` : ''})` : '';
      this.answer.replaceChildren(title, h('p', { class: 'placeholder' }, `This run has no final answer${why}.`));
      return;
    }
    // The text at once; as Markdown when the renderer has loaded (at once when it already has).
    const body = h('pre', { class: 'answer-text' }, output);
    loadMarkdown().then(
      (renderer) => {
        if (this.answerShown !== key) return;
        const markdown = h('div', { class: 'markdown' });
        markdown.innerHTML = renderer.render(output);
        body.replaceWith(markdown);
      },
      (error: unknown) => {
        if (this.answerShown !== key) return;
        body.before(h('p', { class: 'warning' }, `The answer is shown as plain text: ${String(error)}`));
      },
    );
    const buttons = ANSWER_BUTTONS.map(([action, label]) => {
      const button = h('button', { type: 'button', 'data-action': action }, label);
      button.addEventListener('click', () => this.actions.answer(action));
      return button;
    });
    this.answer.replaceChildren(title, body, h('div', { class: 'actions' }, ...buttons));
  }
}

/** Whether BOX is scrolled to its end (new text then keeps it there). */
function atBottom(box: HTMLElement): boolean {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 4;
}

/** What the run as a whole says went wrong (an engine failure, a budget stop), then the
 * events the panel could not use. */
function runProblems(model: RunModel): string[] {
  const lines: string[] = [];
  const result = model.result;
  if (result?.error) lines.push(`The run failed: ${result.error}`);
  if (result?.stopped_reason === 'budget') {
    const budget = result.budget;
    const spent = budget ? ` ($${budget.spent_usd.toFixed(4)} of $${budget.max_cost_usd.toFixed(4)})` : '';
    lines.push(`Stopped: the run's budget was reached${spent}; agents still running were cancelled.`);
  }
  return [...lines, ...model.ignored];
}
