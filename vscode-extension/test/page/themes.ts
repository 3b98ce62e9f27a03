// The VS Code theme variables the panel's CSS uses, with the values of VS Code's default light,
// dark and high-contrast themes, and the body class VS Code sets for each.

export interface Theme {
  name: 'light' | 'dark' | 'high-contrast';
  bodyClass: string;
  variables: Record<string, string>;
}

const common = {
  '--vscode-font-family': 'sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': 'monospace',
  '--vscode-editor-font-size': '13px',
};

export const LIGHT: Theme = {
  name: 'light',
  bodyClass: 'vscode-light',
  variables: {
    ...common,
    '--vscode-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-disabledForeground': '#61616180',
    '--vscode-editor-background': '#ffffff',
    '--vscode-editorWidget-background': '#f8f8f8',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-button-background': '#005fb8',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-hoverBackground': '#0258a8',
    '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-button-secondaryHoverBackground': '#cccccc',
    '--vscode-dropdown-background': '#ffffff',
    '--vscode-dropdown-foreground': '#3b3b3b',
    '--vscode-dropdown-border': '#cecece',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-textLink-foreground': '#005fb8',
    '--vscode-textBlockQuote-background': '#f8f8f8',
    '--vscode-textCodeBlock-background': '#f2f2f2',
    '--vscode-textPreformat-foreground': '#3b3b3b',
    '--vscode-textPreformat-background': '#0000001f',
    '--vscode-errorForeground': '#f85149',
    '--vscode-editorWarning-foreground': '#bf8803',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-yellow': '#bf8803',
    '--vscode-charts-purple': '#652d90',
    '--vscode-debugTokenExpression-name': '#9b46b0',
    '--vscode-debugTokenExpression-string': '#a31515',
    '--vscode-debugTokenExpression-number': '#098658',
  },
};

export const DARK: Theme = {
  name: 'dark',
  bodyClass: 'vscode-dark',
  variables: {
    ...common,
    '--vscode-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-disabledForeground': '#cccccc80',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-editorWidget-background': '#202020',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-button-background': '#0078d4',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-hoverBackground': '#026ec1',
    '--vscode-button-secondaryBackground': '#313131',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-button-secondaryHoverBackground': '#3c3c3c',
    '--vscode-dropdown-background': '#313131',
    '--vscode-dropdown-foreground': '#cccccc',
    '--vscode-dropdown-border': '#3c3c3c',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-textLink-foreground': '#4daafc',
    '--vscode-textBlockQuote-background': '#2b2b2b',
    '--vscode-textCodeBlock-background': '#2b2b2b',
    '--vscode-textPreformat-foreground': '#d0d0d0',
    '--vscode-textPreformat-background': '#3c3c3c',
    '--vscode-errorForeground': '#f85149',
    '--vscode-editorWarning-foreground': '#cca700',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-yellow': '#cca700',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-debugTokenExpression-name': '#c586c0',
    '--vscode-debugTokenExpression-string': '#ce9178',
    '--vscode-debugTokenExpression-number': '#b5cea8',
  },
};

export const HIGH_CONTRAST: Theme = {
  name: 'high-contrast',
  bodyClass: 'vscode-high-contrast',
  variables: {
    ...DARK.variables,
    '--vscode-foreground': '#ffffff',
    '--vscode-editor-background': '#000000',
    '--vscode-panel-border': '#6fc3df',
    '--vscode-charts-green': '#89d185',
  },
};

/** '#rrggbb' as the rgb() string a computed style gives. */
export function rgb(hex: string): string {
  const n = (i: number) => parseInt(hex.slice(i, i + 2), 16);
  return `rgb(${n(1)}, ${n(3)}, ${n(5)})`;
}
