/**
 * The one reader of every `onError` option (`readErrorSink`) and its one default (`consoleErrorSink`): the reactor and
 * both ends of the remote route check the option and report by default the same way.
 *
 * @module
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { consoleErrorSink, readErrorSink } from '../../src/error-sink.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';

describe('readErrorSink()', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each([
    [42, 'Expected `onError` to be a function, got `42` (number)'],
    ['log', 'Expected `onError` to be a function, got `log` (string)'],
    [null, 'Expected `onError` to be a function, got `null` (object)'],
  ])('throws TypeError in the house form for %p', (value, message) => {
    expect(() => readErrorSink(value, 'greenreactor')).toThrow(new TypeError(message));
  });

  it('without a value, reports to console.error with its label (the remote ends: the error alone)', () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const error = new Error('lost');
    readErrorSink(undefined, 'greenreactor remote worker')(error);
    expect(logged.mock.calls).toEqual([['greenreactor remote worker:', error]]);
  });

  it('a sink that throws: the throw goes to console.error, never to the caller', () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const thrown = new Error('sink broke');
    const error = new Error('lost');
    expect(() =>
      readErrorSink((): never => {
        throw thrown;
      }, 'greenreactor remote')(error),
    ).not.toThrow();
    expect(logged.mock.calls).toEqual([['greenreactor remote: onError threw', thrown, 'while reporting', error]]);
  });
});

describe('consoleErrorSink()', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('writes the label and the place the error came from, when given one', () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const error = new Error('lost');
    consoleErrorSink('greenreactor')(error, 'thread pool');
    expect(logged.mock.calls).toEqual([['greenreactor: error in thread pool:', error]]);
  });

  it("is the reactor's default: a throwing callWhenRunning function is reported as 'greenreactor: error in …'", async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const reactor = new Reactor({ clock: new Clock() });
    const error = new Error('boom');
    reactor.callWhenRunning(function starts(): never {
      throw error;
    });
    const running = reactor.run();
    await reactor.stop();
    await running;
    expect(logged.mock.calls).toContainEqual(['greenreactor: error in callWhenRunning function (starts):', error]);
  });
});
