// Lays out an ensemble's dependency graph with dagre (dependencies above their dependents).
// No DOM: the page draws the result as SVG.

import { Graph, layout, type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';

export interface NodeBox {
  name: string;
  /** Centre. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface EdgePath {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: NodeBox[];
  edges: EdgePath[];
}

export const NODE_HEIGHT = 28;
const CHAR_WIDTH = 7.5;
const PADDING = 24;
const MARGIN = 8;

/** The layout of AGENTS (in declaration order) with DEPENDS_ON's edges (unknown names dropped). */
export function layoutGraph(agents: { name: string; dependsOn: string[] }[]): GraphLayout {
  const graph = new Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: false });
  graph.setGraph({ rankdir: 'TB', nodesep: 16, ranksep: 28, marginx: MARGIN, marginy: MARGIN });
  graph.setDefaultEdgeLabel(() => ({}));
  const names = new Set(agents.map((a) => a.name));
  for (const agent of agents) {
    graph.setNode(agent.name, { width: Math.ceil(agent.name.length * CHAR_WIDTH) + PADDING, height: NODE_HEIGHT });
  }
  for (const agent of agents) {
    for (const dependency of agent.dependsOn) {
      if (names.has(dependency) && dependency !== agent.name) graph.setEdge(dependency, agent.name);
    }
  }
  layout(graph);
  const label = graph.graph();
  return {
    width: Math.ceil(label.width ?? 0),
    height: Math.ceil(label.height ?? 0),
    nodes: agents.map((agent) => {
      const node = graph.node(agent.name);
      return { name: agent.name, x: node.x ?? 0, y: node.y ?? 0, width: node.width, height: node.height };
    }),
    edges: graph.edges().map((edge) => ({
      from: edge.v,
      to: edge.w,
      points: (graph.edge(edge).points ?? []).map((p) => ({ x: p.x, y: p.y })),
    })),
  };
}
