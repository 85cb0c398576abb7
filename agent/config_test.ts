import assert from "node:assert/strict";
import { ConfigError, defaultAgentConfig, parseAgentConfig } from "./config.ts";

Deno.test("parseAgentConfig() returns the defaults when nothing is set", () => {
  assert.deepEqual(parseAgentConfig({}, {}), defaultAgentConfig());
  assert.deepEqual(parseAgentConfig({}, { JOURNALAGENT_OUTPUT: "", PATH: "/bin" }), {
    ...defaultAgentConfig(),
  });
});

Deno.test("parseAgentConfig() reads every environment variable", () => {
  const c = parseAgentConfig({}, {
    JOURNALAGENT_OUTPUT: "short-iso",
    JOURNALAGENT_UNITS: "nginx.service, app-*.service,,",
    JOURNALAGENT_EXCLUDE_UNITS: "systemd-*",
    JOURNALAGENT_MAX_PRIORITY: "notice",
    JOURNALAGENT_STDERR_PRIORITY: "3",
    JOURNALAGENT_EXTRA_FIELDS: "SYSLOG_IDENTIFIER,_PID",
    JOURNALAGENT_POLL_INTERVAL: "40",
    JOURNALAGENT_IDLE_POLL_INTERVAL: "500",
    JOURNALAGENT_BATCH_BYTES: "65536",
    JOURNALAGENT_CURSOR_FILE: "/var/lib/journalagent/cursor",
    JOURNALAGENT_DIRECTORY: "/var/log/journal",
    JOURNALAGENT_SOURCE_PID: "42",
  });
  assert.deepEqual(c, {
    output: "short-iso",
    units: ["nginx.service", "app-*.service"],
    excludeUnits: ["systemd-*"],
    maxPriority: 5,
    stderrPriority: 3,
    extraFields: ["SYSLOG_IDENTIFIER", "_PID"],
    pollIntervalMs: 40,
    idlePollIntervalMs: 500,
    batchBytes: 65536,
    cursorFile: "/var/lib/journalagent/cursor",
    directory: "/var/log/journal",
    sourcePid: 42,
  });
});

Deno.test("parseAgentConfig() lets a flag override its environment variable", () => {
  const c = parseAgentConfig(
    { output: "cat", unit: ["a.service", "b*,c.service"] },
    { JOURNALAGENT_OUTPUT: "jsn", JOURNALAGENT_UNITS: "x.service" },
  );
  assert.equal(c.output, "cat");
  assert.deepEqual(c.units, ["a.service", "b*", "c.service"]);
});

Deno.test("parseAgentConfig() accepts priority names and none", () => {
  assert.equal(parseAgentConfig({}, { JOURNALAGENT_MAX_PRIORITY: "ERR" }).maxPriority, 3);
  assert.equal(parseAgentConfig({}, { JOURNALAGENT_MAX_PRIORITY: "0" }).maxPriority, 0);
  assert.equal(
    parseAgentConfig({ "stderr-priority": "none" }, {}).stderrPriority,
    -1,
  );
  assert.equal(
    parseAgentConfig({ "stderr-priority": "warning" }, {}).stderrPriority,
    4,
  );
});

function rejects(
  flags: Record<string, string | string[]>,
  env: Record<string, string>,
  message: string,
) {
  assert.throws(() => parseAgentConfig(flags, env), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.message, message);
    return true;
  });
}

Deno.test("parseAgentConfig() names the variable and value of a bad output format", () => {
  rejects(
    {},
    { JOURNALAGENT_OUTPUT: "jsn" },
    'invalid JOURNALAGENT_OUTPUT "jsn": expected one of json, short-iso, short-precise, cat, logfmt, collector',
  );
});

Deno.test("parseAgentConfig() names the flag when the bad value came from a flag", () => {
  rejects(
    { output: "JSON" },
    {},
    'invalid --output "JSON": expected one of json, short-iso, short-precise, cat, logfmt, collector',
  );
});

Deno.test("parseAgentConfig() rejects bad priorities", () => {
  rejects(
    {},
    { JOURNALAGENT_MAX_PRIORITY: "8" },
    'invalid JOURNALAGENT_MAX_PRIORITY "8": expected 0-7 or one of emerg, alert, crit, err, warning, notice, info, debug',
  );
  rejects(
    {},
    { JOURNALAGENT_MAX_PRIORITY: "none" },
    'invalid JOURNALAGENT_MAX_PRIORITY "none": expected 0-7 or one of emerg, alert, crit, err, warning, notice, info, debug',
  );
  rejects(
    {},
    { JOURNALAGENT_STDERR_PRIORITY: "errors" },
    'invalid JOURNALAGENT_STDERR_PRIORITY "errors": expected 0-7 or one of emerg, alert, crit, err, warning, notice, info, debug, none',
  );
});

Deno.test("parseAgentConfig() rejects bad unit globs and field names", () => {
  rejects(
    {},
    { JOURNALAGENT_UNITS: "nginx.service,my unit" },
    'invalid JOURNALAGENT_UNITS "nginx.service,my unit": expected comma-separated unit names or globs (bad: "my unit")',
  );
  rejects(
    { "exclude-unit": ["ok.service", "a/b"] },
    {},
    'invalid --exclude-unit "ok.service,a/b": expected comma-separated unit names or globs (bad: "a/b")',
  );
  rejects(
    {},
    { JOURNALAGENT_EXTRA_FIELDS: "MESSAGE,_pid" },
    'invalid JOURNALAGENT_EXTRA_FIELDS "MESSAGE,_pid": expected comma-separated journal field names such as SYSLOG_IDENTIFIER (bad: "_pid")',
  );
});

Deno.test("parseAgentConfig() rejects numbers out of range or not integers", () => {
  rejects(
    {},
    { JOURNALAGENT_POLL_INTERVAL: "0" },
    'invalid JOURNALAGENT_POLL_INTERVAL "0": expected an integer from 1 to 1000',
  );
  rejects(
    {},
    { JOURNALAGENT_POLL_INTERVAL: "2.5" },
    'invalid JOURNALAGENT_POLL_INTERVAL "2.5": expected an integer from 1 to 1000',
  );
  rejects(
    { "batch-bytes": "1k" },
    {},
    'invalid --batch-bytes "1k": expected an integer from 4096 to 16777216',
  );
  rejects(
    {},
    { JOURNALAGENT_SOURCE_PID: "-1" },
    'invalid JOURNALAGENT_SOURCE_PID "-1": expected an integer from 1 to 4194304',
  );
});

Deno.test("parseAgentConfig() rejects an idle poll interval below the poll interval", () => {
  rejects(
    {},
    { JOURNALAGENT_POLL_INTERVAL: "50", JOURNALAGENT_IDLE_POLL_INTERVAL: "30" },
    'invalid JOURNALAGENT_IDLE_POLL_INTERVAL "30": expected at least the poll interval (50)',
  );
});

Deno.test("parseAgentConfig() rejects a relative cursor file", () => {
  rejects(
    {},
    { JOURNALAGENT_CURSOR_FILE: "cursor" },
    'invalid JOURNALAGENT_CURSOR_FILE "cursor": expected an absolute file path',
  );
});

Deno.test("parseAgentConfig() rejects an unknown JOURNALAGENT_ variable, naming the one meant", () => {
  assert.throws(() => parseAgentConfig({}, { JOURNALAGENT_UNIT: "dbus" }), {
    name: "ConfigError",
    message: "unknown setting JOURNALAGENT_UNIT: did you mean JOURNALAGENT_UNITS?",
  });
  assert.throws(() => parseAgentConfig({}, { JOURNALAGENT_TYPO: "1" }), {
    name: "ConfigError",
    message: /^unknown setting JOURNALAGENT_TYPO: the settings are JOURNALAGENT_OUTPUT, /,
  });
});
