import { describe, expect, it } from 'vitest';
import { BUILTIN_TEMPLATES_DIR, listTemplates, loadTemplate, renderTemplate, templateVariables } from '../src/index.js';

const builtins = { name: 'my-app', template: '', runId: 'run_01ABCDEFGHJKMNPQRSTVWXYZ00' };

describe('the template catalogue', () => {
  it('has a TypeScript HTTP service and a TypeScript library', async () => {
    expect(await listTemplates(BUILTIN_TEMPLATES_DIR)).toEqual(expect.arrayContaining(['ts-http-service', 'ts-library']));
  });

  it.each(['ts-http-service', 'ts-library'])('renders %s with every placeholder filled', async (id) => {
    const t = await loadTemplate(BUILTIN_TEMPLATES_DIR, id);
    const files = await renderTemplate(t, templateVariables(t, { ...builtins, template: id }, {}));
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'README.md', 'tsconfig.json', '.gitignore', 'scripts/lint.mjs']));
    for (const f of files) expect(f.content.toString('utf8'), f.path).not.toMatch(/\{\{/);
    const pkg = JSON.parse(files.find((f) => f.path === 'package.json')!.content.toString()) as { name: string; scripts: Record<string, string> };
    expect(pkg.name).toBe('my-app');
    expect(Object.keys(pkg.scripts)).toEqual(expect.arrayContaining(['typecheck', 'lint', 'test', 'build']));
    const lock = JSON.parse(files.find((f) => f.path === 'package-lock.json')!.content.toString()) as { name: string };
    expect(lock.name).toBe('my-app');
  });

  it('the service has a health route, a feature route, unit tests and a start script', async () => {
    const t = await loadTemplate(BUILTIN_TEMPLATES_DIR, 'ts-http-service');
    const files = await renderTemplate(t, templateVariables(t, { ...builtins, template: t.id }, { greeting: 'Howdy', port: 8080 }));
    const text = (p: string) => files.find((f) => f.path === p)!.content.toString();
    expect(text('src/app.ts')).toContain("case '/health'");
    expect(text('src/app.ts')).toContain("case '/api/greeting'");
    expect(text('src/greeting.ts')).toContain('`Howdy, ${trimmed}!`');
    expect(text('src/server.ts')).toContain('process.env.PORT ?? 8080');
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['src/app.test.ts', 'src/greeting.test.ts', 'Dockerfile', '.dockerignore']));
    expect(JSON.parse(text('package.json')).scripts.start).toBe('node dist/server.js');
  });

  it('refuses unknown templates, unknown options and options that do not match their pattern', async () => {
    await expect(loadTemplate(BUILTIN_TEMPLATES_DIR, 'cobol-batch')).rejects.toMatchObject({ code: 'UNKNOWN_TEMPLATE', retryable: false });
    const t = await loadTemplate(BUILTIN_TEMPLATES_DIR, 'ts-http-service');
    expect(() => templateVariables(t, builtins, { colour: 'blue' })).toThrow(expect.objectContaining({ code: 'INVALID_TEMPLATE_OPTIONS' }));
    expect(() => templateVariables(t, builtins, { port: 'eighty' })).toThrow(expect.objectContaining({ code: 'INVALID_TEMPLATE_OPTIONS' }));
    expect(() => templateVariables(t, builtins, { description: 'has "quotes"' })).toThrow(expect.objectContaining({ code: 'INVALID_TEMPLATE_OPTIONS' }));
  });
});
