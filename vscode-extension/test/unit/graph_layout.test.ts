import { describe, expect, it } from 'vitest';

import { layoutGraph } from '../../src/webview/graph_layout';

const codeReview = [
  { name: 'bugs', dependsOn: [] },
  { name: 'security', dependsOn: [] },
  { name: 'readability', dependsOn: [] },
  { name: 'summary', dependsOn: ['bugs', 'security', 'readability'] },
];

describe('the dependency graph layout', () => {
  it('puts dependencies on one rank above the agent that depends on them', () => {
    const graph = layoutGraph(codeReview);
    const at = Object.fromEntries(graph.nodes.map((n) => [n.name, n]));
    expect(at.bugs!.y).toBe(at.security!.y);
    expect(at.security!.y).toBe(at.readability!.y);
    expect(at.summary!.y).toBeGreaterThan(at.bugs!.y);
    const xs = [at.bugs!.x, at.security!.x, at.readability!.x];
    expect(new Set(xs).size).toBe(3);
  });

  it('draws one edge per dependency and keeps every node inside the drawing', () => {
    const graph = layoutGraph(codeReview);
    expect(graph.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual([
      'bugs->summary',
      'readability->summary',
      'security->summary',
    ]);
    for (const node of graph.nodes) {
      expect(node.x - node.width / 2).toBeGreaterThanOrEqual(0);
      expect(node.x + node.width / 2).toBeLessThanOrEqual(graph.width);
      expect(node.y + node.height / 2).toBeLessThanOrEqual(graph.height);
    }
    for (const edge of graph.edges) expect(edge.points.length).toBeGreaterThanOrEqual(2);
  });

  it('leaves out dependencies on agents it does not know', () => {
    const graph = layoutGraph([{ name: 'a', dependsOn: ['ghost'] }]);
    expect(graph.nodes.map((n) => n.name)).toEqual(['a']);
    expect(graph.edges).toEqual([]);
  });
});
