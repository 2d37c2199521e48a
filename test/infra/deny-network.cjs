/**
 * Preload (NODE_OPTIONS="--require <this file>", which every child node process inherits) that denies network
 * access beyond loopback: a TCP connection or a DNS lookup of any other host is appended to the file named by
 * LG_DENY_NETWORK_LOG as one JSON line ({ kind, host, port, pid, argv }) and fails, as an unreachable network
 * would. Unix sockets and pipes (IPC between a parent and its children) are allowed. With LG_DENY_NETWORK_PROCESSES,
 * each process it loads into appends { pid, argv } there, so a test can tell the guard was active everywhere.
 */
'use strict';
const dns = require('node:dns');
const fs = require('node:fs');
const net = require('node:net');

const LOG = process.env.LG_DENY_NETWORK_LOG;
const PROCESSES = process.env.LG_DENY_NETWORK_PROCESSES;
if (PROCESSES) fs.appendFileSync(PROCESSES, `${JSON.stringify({ pid: process.pid, argv: process.argv })}\n`);
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3}|\[::1\])$/i;

function isLoopback(host) {
  return host === undefined || host === null || host === '' || LOOPBACK.test(String(host));
}

function denied(kind, host, port) {
  const entry = { kind, host: String(host), port, pid: process.pid, argv: process.argv };
  if (LOG) {
    try {
      fs.appendFileSync(LOG, `${JSON.stringify(entry)}\n`);
    } catch {
      // The log is the test's business; never let it hide the denial.
    }
  }
  const error = new Error(`deny-network: ${kind} of ${host}${port === undefined ? '' : `:${port}`} is not allowed in this process (pid ${process.pid})`);
  error.code = 'ENETUNREACH';
  return error;
}

/** connect(options[, cb]), connect(port[, host][, cb]), connect(path[, cb]), or net's normalized [options, cb] array. */
function target(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (first !== null && typeof first === 'object') return first.path !== undefined ? { path: first.path } : { host: first.host, port: first.port };
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { host: typeof args[1] === 'string' ? args[1] : undefined, port: first };
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function denyingConnect(...args) {
  const to = target(args);
  if (to.path === undefined && !isLoopback(to.host)) {
    const error = denied('connect', to.host, to.port);
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return connect.apply(this, args);
};

const lookup = dns.lookup;
dns.lookup = function denyingLookup(hostname, ...rest) {
  if (!isLoopback(hostname)) {
    const callback = rest[rest.length - 1];
    const error = denied('dns.lookup', hostname);
    if (typeof callback === 'function') process.nextTick(callback, error);
    return {};
  }
  return lookup.call(this, hostname, ...rest);
};

const promisesLookup = dns.promises.lookup;
dns.promises.lookup = function denyingPromisesLookup(hostname, ...rest) {
  if (!isLoopback(hostname)) return Promise.reject(denied('dns.promises.lookup', hostname));
  return promisesLookup.call(this, hostname, ...rest);
};
