import { describe, expect, it } from 'vitest';
import { GO_TEMPLATE } from '../test/goldenFixtures';
import {
  canonicalJson,
  checkValues,
  fieldOfPointer,
  formFields,
  groupFields,
  initialValues,
  leafFields,
  listEntries,
  placeProblems,
  serviceNameProblems,
  shownProblems,
  toParameters,
  underPointer,
  type FormField,
} from './templateForm';

const goFields = formFields(GO_TEMPLATE.parameters);

describe('formFields: the schema subset as inputs', () => {
  it('maps the built-in Go template in ui:order, with the picker each x-atrium-field asks for', () => {
    expect(goFields.map((f) => [f.key, f.kind, f.hint, f.required])).toEqual([
      ['name', 'text', 'service-name', true],
      ['team', 'text', 'team', true],
      ['description', 'text', '', false],
      ['environments', 'multi', 'environments', false],
      ['regions', 'multi', 'regions', false],
      ['sqs_queue', 'boolean', '', false],
      ['secret_names', 'list', '', false],
      ['go_version', 'choice', '', false],
    ]);
    const env = goFields[3];
    expect(env?.kind === 'multi' && env.options.map((o) => o.value)).toEqual(['dev', 'staging', 'production']);
    expect(env?.kind === 'multi' && [env.default, env.minItems]).toEqual([['dev', 'staging'], 1]);
    const secrets = goFields[6];
    expect(secrets?.kind === 'list' && secrets.item).toEqual({
      pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$',
      patternMessage: 'use lowercase letters, digits and single dashes, starting with a letter',
      minLength: undefined,
      maxLength: 63,
    });
    expect(goFields[0]).toMatchObject({ pointer: '/name', id: 'param-name', title: 'Service name', maxLength: 40, minLength: 3 });
  });

  it.each<[string, unknown, Partial<FormField> & { kind: FormField['kind'] }]>([
    ['a string', { type: 'string', title: 'Owner email', format: 'email' }, { kind: 'text', format: 'email', title: 'Owner email' }],
    ['a string enum with names', { type: 'string', enum: ['a', 'b'], enumNames: ['Alpha', 'Beta'] }, { kind: 'choice', options: [{ value: 'a', label: 'Alpha' }, { value: 'b', label: 'Beta' }] }],
    ['a const', { type: 'string', const: 'x' }, { kind: 'choice', options: [{ value: 'x', label: 'x' }] }],
    ['an integer with bounds', { type: 'integer', minimum: 1, maximum: 10, default: 2 }, { kind: 'number', integer: true, minimum: 1, maximum: 10, default: '2' }],
    ['a number enum', { type: 'number', enum: [1, 2] }, { kind: 'choice', numeric: true }],
    ['a boolean', { type: 'boolean', default: true }, { kind: 'boolean', default: true }],
    ['a list of numbers', { type: 'array', items: { type: 'integer' }, default: [80, 443] }, { kind: 'list', numeric: true, default: '80, 443' }],
    ['a list of objects', { type: 'array', items: { type: 'object' } }, { kind: 'unsupported' }],
    ['oneOf', { oneOf: [{ type: 'string' }] }, { kind: 'unsupported', reason: 'the form cannot show "oneOf"' }],
    ['a null type', { type: 'null' }, { kind: 'unsupported' }],
    ['a nullable string', { type: ['string', 'null'] }, { kind: 'text' }],
    ['no schema', 'x', { kind: 'unsupported' }],
    ['a Backstage page', { type: 'string', 'x-atrium-page': 'Choose a location' }, { kind: 'text', page: 'Choose a location' }],
    ['ui:help as the description', { type: 'string', 'ui:help': 'Shown under it' }, { kind: 'text', description: 'Shown under it' }],
  ])('maps %s', (_, schema, want) => {
    const [f] = formFields({ type: 'object', properties: { p: schema } });
    expect(f).toMatchObject(want);
  });

  it('opens an object into a group whose fields point inside it, in its own ui:order', () => {
    const fields = formFields({
      type: 'object',
      properties: {
        database: {
          type: 'object',
          title: 'Database',
          required: ['engine'],
          'ui:order': ['engine', 'size'],
          properties: { size: { type: 'integer' }, engine: { type: 'string', enum: ['postgres', 'mysql'] } },
        },
        'a/b': { type: 'string' },
      },
    });
    expect(fields.map((f) => f.pointer)).toEqual(['/a~1b', '/database']);
    const group = fields[1];
    expect(group?.kind).toBe('group');
    expect(group?.kind === 'group' && group.fields.map((f) => [f.pointer, f.required, f.id])).toEqual([
      ['/database/engine', true, 'param-database-engine'],
      ['/database/size', false, 'param-database-size'],
    ]);
    expect(leafFields(fields).map((f) => f.pointer)).toEqual(['/a~1b', '/database/engine', '/database/size']);
  });

  it('gives nothing for a broken template (no schema)', () => {
    expect(formFields(null)).toEqual([]);
  });
});

describe('values and parameters', () => {
  it('starts from the defaults and sends what the schema describes', () => {
    const values = initialValues(goFields);
    expect(values).toEqual({
      '/name': '',
      '/team': '',
      '/description': '',
      '/environments': ['dev', 'staging'],
      '/regions': ['eu-west-1'],
      '/sqs_queue': false,
      '/secret_names': '',
      '/go_version': '1.25',
    });
    expect(toParameters(goFields, values)).toEqual({ environments: ['dev', 'staging'], regions: ['eu-west-1'], sqs_queue: false, secret_names: [], go_version: '1.25' });
    const typed = { ...values, '/name': 'orders', '/team': 'payments', '/environments': ['production', 'dev'], '/secret_names': 'db-password,\n api-key , ' };
    expect(toParameters(goFields, typed)).toMatchObject({
      name: 'orders',
      team: 'payments',
      environments: ['dev', 'production'],
      secret_names: ['db-password', 'api-key'],
    });
  });

  it('nests groups, leaves empty ones out, and sends numbers as numbers (or as typed, for the portal to refuse)', () => {
    const fields = formFields({
      type: 'object',
      properties: {
        db: { type: 'object', properties: { size: { type: 'integer' }, engine: { type: 'string', enum: ['pg'] } } },
        replicas: { type: 'integer' },
        ports: { type: 'array', items: { type: 'integer' } },
        tier: { type: 'integer', enum: [1, 2] },
      },
    });
    expect(toParameters(fields, { '/db/size': '', '/db/engine': '', '/replicas': '3', '/ports': '80, 443', '/tier': '2' })).toEqual({
      replicas: 3,
      ports: [80, 443],
      tier: 2,
    });
    expect(toParameters(fields, { '/db/size': '12a', '/db/engine': 'pg', '/replicas': '', '/ports': '', '/tier': '' })).toEqual({
      db: { size: '12a', engine: 'pg' },
      ports: [],
    });
  });

  it.each([
    ['a, b', ['a', 'b']],
    ['a\nb\n\n', ['a', 'b']],
    ['  ', []],
    [' x ,, y', ['x', 'y']],
  ])('reads the list %j', (text, want) => {
    expect(listEntries(text)).toEqual(want);
  });

  it('writes the same JSON for the same parameters, whatever their key order', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x', u: undefined })).toBe('{"a":"x","b":[1,{"c":2,"d":1}]}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});

describe('checkValues: what the form says before the portal does', () => {
  const base = { ...initialValues(goFields), '/name': 'orders', '/team': 'payments' };

  it.each<[string, Record<string, unknown>, Record<string, string[]>]>([
    ['nothing, for good values', {}, {}],
    ['a missing name and team', { '/name': '', '/team': '' }, { '/name': ['required'], '/team': ['required'] }],
    ['every rule a name breaks, in the portal\'s words', { '/name': 'Bad--x-' }, {
      '/name': ['must start with a lowercase letter', 'must end with a letter or digit', 'must not contain "--"', 'may hold only lowercase letters, digits and dashes'],
    }],
    ['a short name', { '/name': 'ab' }, { '/name': ['must be 3 to 40 characters long, not 2'] }],
    ['a team against its pattern message', { '/team': 'Pay Ments' }, { '/team': ['"Pay Ments": a team\'s name is lowercase letters, digits, dots, dashes and underscores'] }],
    ['a long description', { '/description': 'x'.repeat(301) }, { '/description': ['must be at most 300 characters'] }],
    ['no environment chosen', { '/environments': [] }, { '/environments': ['choose at least 1'] }],
    ['a secret name against the items\' rules', { '/secret_names': 'db-password, Bad_Name, db-password' }, {
      '/secret_names': ['"Bad_Name": use lowercase letters, digits and single dashes, starting with a letter', '"db-password" is listed twice'],
    }],
    ['a choice not offered', { '/go_version': '1.1' }, { '/go_version': ['1.1 is not one of 1.24, 1.25, 1.26'] }],
  ])('finds %s', (_, patch, want) => {
    expect(checkValues(goFields, { ...base, ...patch } as typeof base)).toEqual(want);
  });

  it.each<[string, unknown, string, string[]]>([
    ['a whole number', { type: 'integer' }, '1.5', ['must be a whole number']],
    ['a number', { type: 'number' }, 'abc', ['must be a number']],
    ['a minimum', { type: 'integer', minimum: 2 }, '1', ['must be at least 2']],
    ['an exclusive maximum', { type: 'number', exclusiveMaximum: 5 }, '5', ['must be less than 5']],
    ['a multiple', { type: 'integer', multipleOf: 5 }, '12', ['must be a multiple of 5']],
    ['a good number', { type: 'integer', minimum: 1, maximum: 10 }, '10', []],
    ['an email', { type: 'string', format: 'email' }, 'not-mail', ['must be an email address']],
    ['a URL', { type: 'string', format: 'uri' }, 'example.com', ['must be an absolute URL (https://…)']],
    ['a pattern without a message', { type: 'string', pattern: '^v[0-9]+$' }, 'x1', ['"x1" does not match ^v[0-9]+$']],
    ['a minimum of entries', { type: 'array', items: { type: 'string' }, minItems: 2 }, 'a', ['give at least 2']],
    ['numbers in a list', { type: 'array', items: { type: 'integer' } }, '80, http', ['"http" is not a number']],
  ])('checks %s', (_, schema, value, want) => {
    const fields = formFields({ type: 'object', properties: { p: schema } });
    const got = checkValues(fields, { '/p': value });
    expect(got['/p'] ?? []).toEqual(want);
  });
});

describe('where problems go', () => {
  it.each([
    ['/name', '/name'],
    ['/environments/1', '/environments'],
    ['/regions', '/regions'],
    ['/colour', undefined],
    ['', undefined],
  ])('puts %j under %j', (pointer, want) => {
    expect(fieldOfPointer(goFields, pointer)).toBe(want);
  });

  it('finds fields inside groups, and by their escaped names', () => {
    const fields = formFields({ type: 'object', properties: { db: { type: 'object', properties: { size: { type: 'integer' } } }, 'a/b': { type: 'string' } } });
    expect(fieldOfPointer(fields, '/db/size')).toBe('/db/size');
    expect(fieldOfPointer(fields, '/a~1b')).toBe('/a~1b');
    expect(fieldOfPointer(fields, '/db')).toBeUndefined();
  });

  it('sorts the portal\'s validation answer under the fields, with what no field holds apart', () => {
    const placed = placeProblems(goFields, [
      { field: '/name', problem: 'the catalog already has a service named payments-api' },
      { field: '/name', problem: 'the catalog already has a service named payments-api' },
      { field: '/environments/1', problem: 'staging is in none of the chosen regions (it is in eu-west-1)' },
      { field: '/team', problem: 'no team named nosuch' },
      { field: '/colour', problem: 'unknown parameter: this template has no parameter "colour"' },
      { field: '', problem: 'golden path configuration: no dev cluster' },
    ]);
    expect(placed.byField).toEqual({
      '/name': ['the catalog already has a service named payments-api'],
      '/environments': ['staging is in none of the chosen regions (it is in eu-west-1)'],
      '/team': ['no team named nosuch'],
    });
    expect(placed.other.map((p) => p.field)).toEqual(['/colour', '']);
  });

  it('reads pointers of a refused action request relative to its parameters', () => {
    expect(underPointer('/params/parameters', '/params/parameters/name')).toBe('/name');
    expect(underPointer('/params/parameters', '/params/parameters')).toBe('');
    expect(underPointer('/params/parameters', '/params/template')).toBeUndefined();
    expect(underPointer('/params/parameters', '/params/parametersx')).toBeUndefined();
  });

  it('shows the form\'s own problems first, the portal\'s otherwise, and keeps untouched fields quiet about being required', () => {
    const local = { '/name': ['must not contain "--"'], '/team': ['required'] };
    const portal = {
      '/name': ['the catalog already has a service named x'],
      '/team': ['required'],
      '/regions': ['required'],
      '/environments': ['staging is in none of the chosen regions (it is in eu-west-1)'],
    };
    const touched = new Set(['/name']);
    expect(shownProblems(goFields, local, portal, (p) => touched.has(p))).toEqual({
      '/name': ['must not contain "--"'],
      '/environments': ['staging is in none of the chosen regions (it is in eu-west-1)'],
    });
    expect(shownProblems(goFields, {}, portal, (p) => touched.has(p))).toMatchObject({ '/name': ['the catalog already has a service named x'] });
    expect(shownProblems(goFields, local, portal, () => true)).toEqual({
      '/name': ['must not contain "--"'],
      '/team': ['required'],
      '/regions': ['required'],
      '/environments': ['staging is in none of the chosen regions (it is in eu-west-1)'],
    });
  });

  it('agrees with itself on names: every rule the portal states', () => {
    expect(serviceNameProblems('orders-api')).toEqual([]);
    expect(serviceNameProblems('9lives')).toEqual(['must start with a lowercase letter']);
    expect(serviceNameProblems('')).toEqual(['must be 3 to 40 characters long, not 0']);
  });
});

describe('groupFields', () => {
  it('groups the Go template as the service, where it runs, optional resources and the template\'s options', () => {
    expect(groupFields(goFields).map((s) => [s.title, s.fields.map((f) => f.key)])).toEqual([
      ['', ['name', 'team', 'description']],
      ['Where it runs', ['environments', 'regions']],
      ['Optional resources', ['sqs_queue', 'secret_names']],
      ['Template options', ['go_version']],
    ]);
  });

  it('follows a Backstage template\'s pages when it has them, and gives an object group its own section', () => {
    const paged = formFields({
      type: 'object',
      'ui:order': ['name', 'team', 'java'],
      properties: {
        name: { type: 'string', 'x-atrium-page': 'Service' },
        team: { type: 'string', 'x-atrium-page': 'Service' },
        java: { type: 'string', 'x-atrium-page': 'Build' },
      },
    });
    expect(groupFields(paged).map((s) => [s.title, s.fields.map((f) => f.key)])).toEqual([
      ['Service', ['name', 'team']],
      ['Build', ['java']],
    ]);
    const grouped = formFields({ type: 'object', properties: { name: { type: 'string' }, cache: { type: 'object', title: 'Cache', properties: { size: { type: 'integer' } } } } });
    expect(groupFields(grouped).map((s) => [s.title, s.fields.map((f) => f.key)])).toEqual([
      ['', ['name']],
      ['Cache', ['size']],
    ]);
  });
});
