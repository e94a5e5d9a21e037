/** The slice of addons-linter's programmatic API the lint test uses (the package ships no types). */
declare module 'addons-linter' {
  export function createInstance(options: { config: Record<string, unknown>; runAsBinary: boolean }): { run(): Promise<unknown> };
}
