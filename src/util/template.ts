/**
 * `{{name}}` templates in scenario strings. Unknown names render as the empty string is NOT what
 * users expect; they stay as written so the mistake shows up in the transcript.
 */
export type TemplateVars = Readonly<Record<string, string | undefined>>;

const PATTERN = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

/** Replaces `{{name}}` with `vars[name]`; unknown or undefined names are left as written. */
export function renderTemplate(template: string, vars: TemplateVars): string {
  if (!template.includes('{{')) return template;
  return template.replace(PATTERN, (whole, name: string) => vars[name] ?? whole);
}
