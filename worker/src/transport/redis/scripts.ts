/**
 * The event transport's Lua scripts: every change that touches more than one key is one script,
 * so it happens whole or not at all. Each header names its KEYS, ARGV and result.
 */

/**
 * append: ingest of one request, all or nothing.
 * KEYS: events(v1), backlog(v1), events(v2), backlog(v2), ... for each target vnode
 * ARGV: bound, then per vnode: payload (JSON of the entry), event count
 * Result: 0 when every entry was added; i (1-based vnode position) when vnode i's backlog is at
 *   the bound, and then nothing was added.
 */
export const APPEND = `
local bound = tonumber(ARGV[1])
local n = #KEYS / 2
for i = 1, n do
  local backlog = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  if backlog >= bound then return i end
end
for i = 1, n do
  redis.call('XADD', KEYS[2 * i - 1], '*', 'r', ARGV[2 * i])
  redis.call('INCRBY', KEYS[2 * i], ARGV[2 * i + 1])
end
return 0
`;

/**
 * acquire: a new owner takes the vnode. Fences older epochs out, makes sure the group exists (from
 * the stream's start, so events appended while nobody owned the vnode are read), and claims every
 * entry earlier owners read without acknowledging, so this owner replays them first.
 * KEYS: epoch, events, checkpoint
 * ARGV: epoch, group, consumer
 * Result: the checkpoint JSON (or false); error FENCED when a newer epoch holds the vnode.
 */
export const ACQUIRE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local epoch = tonumber(ARGV[1])
if current > epoch then return redis.error_reply('FENCED') end
redis.call('SET', KEYS[1], ARGV[1])
local ok, err = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], ARGV[2], '0', 'MKSTREAM')
if not ok and not string.find(tostring(err), 'BUSYGROUP') then return redis.error_reply(tostring(err)) end
local cursor = '0-0'
repeat
  local res = redis.call('XAUTOCLAIM', KEYS[2], ARGV[2], ARGV[3], 0, cursor, 'COUNT', 1000, 'JUSTID')
  cursor = res[1]
until cursor == '0-0'
return redis.call('GET', KEYS[3])
`;

/**
 * read: the owner reads entries, fenced (a former owner must not pull entries into its pending
 * list, where the new owner would not find them). Never blocks; the caller waits with XREAD.
 * KEYS: epoch, events
 * ARGV: epoch, group, consumer, count, from ('>' for new entries, an id for its own pending ones)
 * Result: XREADGROUP's answer; error FENCED.
 */
export const READ = `
if tonumber(redis.call('GET', KEYS[1]) or '-1') ~= tonumber(ARGV[1]) then
  return redis.error_reply('FENCED')
end
return redis.call('XREADGROUP', 'GROUP', ARGV[2], ARGV[3], 'COUNT', ARGV[4], 'STREAMS', KEYS[2], ARGV[5])
`;

/**
 * commit: acknowledge entries and save the operator state, fenced, then trim the stream below
 * the oldest entry still needed (pending, or never read), never by length.
 * KEYS: epoch, events, backlog, checkpoint
 * ARGV: epoch, group, checkpoint JSON, then per entry: id, event count (ids ascending)
 * Result: the events acknowledged by this call (a repeat acknowledges nothing); error FENCED.
 */
export const COMMIT = `
if tonumber(redis.call('GET', KEYS[1]) or '-1') ~= tonumber(ARGV[1]) then
  return redis.error_reply('FENCED')
end
local acked = 0
local last = nil
for i = 4, #ARGV, 2 do
  if redis.call('XACK', KEYS[2], ARGV[2], ARGV[i]) == 1 then acked = acked + tonumber(ARGV[i + 1]) end
  last = ARGV[i]
end
if acked > 0 then redis.call('DECRBY', KEYS[3], acked) end
redis.call('SET', KEYS[4], ARGV[3])
if last ~= nil then
  local pending = redis.call('XPENDING', KEYS[2], ARGV[2])
  local keep
  if pending[1] > 0 then
    keep = pending[2]
  else
    local dash = string.find(last, '-')
    keep = string.sub(last, 1, dash) .. (tonumber(string.sub(last, dash + 1)) + 1)
  end
  redis.call('XTRIM', KEYS[2], 'MINID', keep)
end
return acked
`;

/**
 * release: a planned hand-off after the owner's last commit; ignored once a newer epoch holds
 * the vnode.
 * KEYS: epoch, released
 * ARGV: epoch
 * Result: 1 when released, 0 when fenced.
 */
export const RELEASE = `
if tonumber(redis.call('GET', KEYS[1]) or '-1') ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
return 1
`;
