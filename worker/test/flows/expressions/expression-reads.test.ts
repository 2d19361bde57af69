import { CEL } from '../../../../control-plane/src/flow-spec';
import { readsOf } from '../../../src/flows/expressions/expression-reads';

function reads(source: string): { eventFields: string[] | null; meta: boolean } {
  const r = readsOf(CEL.parse(source).ast);
  return { eventFields: r.eventFields === null ? null : [...r.eventFields].sort(), meta: r.meta };
}

describe('what an expression reads of its variables', () => {
  it('field selections of event name the fields, however deep the path goes', () => {
    expect(reads('event.level != "debug"')).toEqual({ eventFields: ['level'], meta: false });
    expect(reads('event.a.b.c + event.a.d')).toEqual({ eventFields: ['a'], meta: false });
    expect(reads('{"app": event.application, "msg": event.message, "vnode": meta.vnode}')).toEqual({
      eventFields: ['application', 'message'],
      meta: true,
    });
  });

  it('has() and an index by a string literal are field selections too', () => {
    expect(reads('has(event.a) && has(event.b.c)')).toEqual({
      eventFields: ['a', 'b'],
      meta: false,
    });
    expect(reads('event["user-agent"] + event.x["y"]')).toEqual({
      eventFields: ['user-agent', 'x'],
      meta: false,
    });
  });

  it('fields read inside macros and calls count', () => {
    expect(reads('event.list.all(x, x > event.min) ? size(event.s) : 0')).toEqual({
      eventFields: ['list', 'min', 's'],
      meta: false,
    });
  });

  it('any other use of event may read all of it', () => {
    for (const source of [
      'event',
      'size(event)',
      '{"copy": event}',
      '"a" in event',
      'event[event.key]',
      'event[0]',
      'event.a == 1 || event == {}',
      // An iteration variable named event shadows the variable: slower, never wrong.
      '[1, 2].exists(event, event > 1)',
    ]) {
      expect(reads(source).eventFields).toBeNull();
    }
  });

  it('meta is read only when named', () => {
    expect(reads('meta.vnode')).toEqual({ eventFields: [], meta: true });
    expect(reads('1 + 2')).toEqual({ eventFields: [], meta: false });
  });
});
