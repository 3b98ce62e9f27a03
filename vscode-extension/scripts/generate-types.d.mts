export const SCHEMAS: string[];
export const OUTPUT: string;
/** The generated module's text, from the schemas as they are now. */
export function generate(): Promise<string>;
