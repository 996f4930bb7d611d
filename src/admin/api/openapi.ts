/**
 * The OpenAPI 3.1 document of the admin API, generated from the operations' own zod schemas
 * (zod's JSON Schema output is draft 2020-12, the dialect OpenAPI 3.1 uses). Nothing here is kept
 * by hand per route: a route without an operation cannot exist, and every operation is described.
 */
import { z } from 'zod';
import { ADMIN_SCOPE } from './auth.ts';
import type { Operation } from './operation.ts';

type JsonSchema = Record<string, unknown>;

export const errorSchema = z
  .object({
    error: z.string().meta({ description: 'A stable code: invalid_input, unauthorized, forbidden, not_found, conflict, …' }),
    error_description: z.string().meta({ description: 'What was wrong, in words.' }),
    errors: z
      .array(
        z.union([
          z.object({ pointer: z.string().meta({ description: 'JSON pointer (RFC 6901) to the field, or "" for the whole request' }), message: z.string() }),
          z.object({ line: z.number().int(), column: z.string(), message: z.string() }),
        ]),
      )
      .optional()
      .meta({ description: 'Every problem found, for 422 answers.' }),
    reference: z.string().meta({ description: 'Quote this to the service desk; it is in the server log.' }),
  })
  .meta({ title: 'Error' });

const ERROR_TEXT: Record<number, string> = {
  400: 'The request could not be read (malformed JSON, a body of the wrong type).',
  401: 'No credentials, or credentials that are not valid.',
  403: `Credentials without scope ${ADMIN_SCOPE}, a person without role it-admin, or a session below acr phr.`,
  404: 'Nothing with that id.',
  409: 'Conflicts with what exists (an id already taken, a resource still in use).',
  415: 'The body has the wrong content type.',
  422: 'The request is well-formed but not valid; `errors` names every problem.',
};

/**
 * A schema as JSON Schema. Schemas given an id with `.meta({ id })` become named components
 * (collected into `components`, when given) and are referenced from where they are used.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output', components?: Record<string, JsonSchema>): JsonSchema {
  const json = relink(z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12', reused: 'inline' }), io) as JsonSchema;
  delete json.$schema;
  const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
  delete json.$defs;
  for (const [id, def] of Object.entries(defs)) {
    if (components) components[componentName(id, io)] = def;
  }
  const own = json.id;
  if (typeof own === 'string') {
    delete json.id;
    if (components) {
      components[componentName(own, io)] = json;
      return { $ref: `#/components/schemas/${componentName(own, io)}` };
    }
  }
  return json;
}

/** Points zod's `#/$defs/<id>` references at the components they become. */
function relink(node: unknown, io: 'input' | 'output'): unknown {
  if (Array.isArray(node)) return node.map((child) => relink(child, io));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/') ? [key, `#/components/schemas/${componentName(value.slice(8), io)}`] : [key, relink(value, io)],
    ),
  );
}

/** Request and response shapes of one schema differ (defaults, transforms): name them apart. */
function componentName(id: string, io: 'input' | 'output'): string {
  return io === 'input' ? `${id}Input` : id;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query', components: Record<string, JsonSchema>): JsonSchema[] {
  if (!schema) return [];
  const json = jsonSchemaOf(schema, 'input', components);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

export function buildOpenApi(operations: Operation[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, JsonSchema> = {};
  for (const op of operations) {
    const responses: Record<string, unknown> = {
      [op.response.status]: {
        description: op.response.description,
        ...(op.response.schema ? { content: { [op.response.contentType ?? 'application/json']: { schema: jsonSchemaOf(op.response.schema, 'output', schemas) } } } : {}),
      },
    };
    const statuses = [400, 401, 403, ...(op.body ? [415] : []), 422, ...(op.errors ?? [])].sort();
    for (const status of statuses) responses[status] = { $ref: `#/components/responses/Error${status}` };
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.id,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      parameters: [...parameters(op.params, 'path', schemas), ...parameters(op.query, 'query', schemas)],
      ...(op.body
        ? { requestBody: { required: true, content: { [op.bodyType ?? 'application/json']: { schema: op.bodyType === 'text/csv' ? { type: 'string' } : jsonSchemaOf(op.body, 'input', schemas) } } } }
        : {}),
      responses,
    };
  }
  const errorResponses = Object.fromEntries(
    Object.entries(ERROR_TEXT).map(([status, description]) => [`Error${status}`, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Wardgate admin API',
      version: '1',
      description: 'Hospital IT administration: sites, users, terminals, shifts, relying apps, the risk policy, simulation, decisions and the audit log. Every change is recorded in the hash-chained audit log.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }, { session: [] }],
    tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...schemas, Error: jsonSchemaOf(errorSchema, 'output') },
      responses: errorResponses,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: `An access token from Wardgate with scope ${ADMIN_SCOPE} (for example client_credentials of an admin client).` },
        session: { type: 'apiKey', in: 'cookie', name: '_session', description: 'A Wardgate session of a person with role it-admin at acr phr (the web console); the cookie is __Host-session when the issuer is https. Changes must come from Wardgate\'s own origin.' },
      },
    },
  };
}
