// The ensembles offered by "Run Ensemble on Selection…", and their order. Names come from the
// server (its library: the workspace's `.llm-orc/` and the built-in ones); no `vscode` import.

import { LIST_ENSEMBLES, execute, serverHas, type EnsembleInfo, type LspClient } from './lsp_ext';

interface CodeActionLike {
  title: string;
  command?: { command: string; arguments?: unknown[] } | string;
}

/**
 * The ensembles the server offers for a selection: from `llm-orc.listEnsembles` (names and
 * descriptions) when the server has it, else from its "Run ensemble NAME on selection" code
 * actions (names only, in the server's order); SAY is told which source was used.
 */
export async function listEnsembles(
  client: LspClient,
  uri: string,
  range: { start: { line: number; character: number }; end: { line: number; character: number } },
  say: (line: string) => void,
): Promise<EnsembleInfo[]> {
  if (serverHas(client, LIST_ENSEMBLES)) return execute(client, LIST_ENSEMBLES, { uri });
  say(`the server has no ${LIST_ENSEMBLES}: ensembles come from its code actions, without descriptions`);
  const actions = await client.sendRequest<CodeActionLike[] | null>('textDocument/codeAction', {
    textDocument: { uri },
    range,
    context: { diagnostics: [] },
  });
  const names: string[] = [];
  for (const action of actions ?? []) {
    const command = typeof action.command === 'object' ? action.command : undefined;
    const args = command?.arguments?.[0] as { ensemble?: unknown; input?: unknown } | undefined;
    if (command?.command === 'llm-orc.runEnsemble' && typeof args?.ensemble === 'string' && typeof args.input === 'string') {
      if (!names.includes(args.ensemble)) names.push(args.ensemble);
    }
  }
  return names.map((name) => ({ name }));
}

/** ENSEMBLES with the configured default first, then the recently used (newest first), then the rest. */
export function orderEnsembles(ensembles: EnsembleInfo[], recent: string[], preferred?: string): EnsembleInfo[] {
  const rank = (name: string): number => {
    if (name === preferred) return -1;
    const index = recent.indexOf(name);
    return index === -1 ? recent.length : index;
  };
  return ensembles
    .map((ensemble, index) => ({ ensemble, index }))
    .sort((a, b) => rank(a.ensemble.name) - rank(b.ensemble.name) || a.index - b.index)
    .map(({ ensemble }) => ensemble);
}

/** RECENT with NAME moved to the front (at most 20 kept). */
export function remember(recent: string[], name: string): string[] {
  return [name, ...recent.filter((n) => n !== name)].slice(0, 20);
}
