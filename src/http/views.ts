/** Server-rendered pages: eta templates from views/, auto-escaping on, cached outside development. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

export const viewsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

export interface Views {
  render(name: string, data: Record<string, unknown>): string;
}

export function createViews(options: { cache: boolean }): Views {
  const eta = new Eta({ views: viewsDir, autoEscape: true, autoTrim: false, cache: options.cache });
  return {
    render(name, data) {
      return eta.render(`./${name}`, data);
    },
  };
}
