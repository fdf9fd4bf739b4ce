/**
 * The one Lua script every write of a Redis-backed hub goes through (docs/scale-out.md, "How state is
 * shared"). A call carries a batch of units; each unit is all-or-nothing, and commits only if every key
 * it writes still has the revision the writer read. A committed unit takes the next number of the
 * hub's revision counter, which becomes the revision of each key it wrote; the whole batch is then
 * appended to the commit log, which every process tails into its replica.
 *
 * KEYS: 1 the revision counter, 2 the hash of key revisions, 3 the commit log (a stream).
 * ARGV: 1 the prefix of collection hashes, 2 the log's approximate length, 3 the writing process,
 *       4 the number of units, then per unit its write count n and n × (collection, key, expected
 *       revision, value JSON or '' for a delete, note JSON or ''). An expected revision `@i` is "what
 *       unit i of this batch committed" (a unit that wrote on top of an earlier one). A unit with count
 *       -k empties the store: k collection names follow.
 * Returns one number per unit (its revision, or 0 when it was stale), then the counter after the batch.
 *
 * Log entries are field/value pairs: `p` and the process, then per write `<rev>\0<collection>\0<key>`
 * and the value ('' deleted), optionally followed by `n` and the note; or `clear` and the revision.
 */
export const COMMIT_SCRIPT = `
local cprefix = ARGV[1]
local out = {}
local fields = {'p', ARGV[3]}
local i = 5
for unit = 1, tonumber(ARGV[4]) do
  local n = tonumber(ARGV[i])
  i = i + 1
  if n < 0 then
    for c = 0, -n - 1 do redis.call('DEL', cprefix .. ARGV[i + c]) end
    redis.call('DEL', KEYS[2])
    local rev = redis.call('INCR', KEYS[1])
    fields[#fields + 1] = 'clear'
    fields[#fields + 1] = tostring(rev)
    out[unit] = rev
    i = i - n
  else
    local stale = false
    for w = 0, n - 1 do
      local b = i + w * 5
      local expected = ARGV[b + 2]
      if string.sub(expected, 1, 1) == '@' then
        expected = tostring(out[tonumber(string.sub(expected, 2))])
      end
      local current = redis.call('HGET', KEYS[2], ARGV[b] .. '\\0' .. ARGV[b + 1])
      if expected == '0' and string.sub(ARGV[b + 2], 1, 1) == '@' or (current or '0') ~= expected then
        stale = true
        break
      end
    end
    if stale then
      out[unit] = 0
    else
      local rev = redis.call('INCR', KEYS[1])
      local srev = tostring(rev)
      for w = 0, n - 1 do
        local b = i + w * 5
        local field = ARGV[b] .. '\\0' .. ARGV[b + 1]
        if ARGV[b + 3] == '' then
          redis.call('HDEL', cprefix .. ARGV[b], ARGV[b + 1])
        else
          redis.call('HSET', cprefix .. ARGV[b], ARGV[b + 1], ARGV[b + 3])
        end
        redis.call('HSET', KEYS[2], field, srev)
        fields[#fields + 1] = srev .. '\\0' .. field
        fields[#fields + 1] = ARGV[b + 3]
        if ARGV[b + 4] ~= '' then
          fields[#fields + 1] = 'n'
          fields[#fields + 1] = ARGV[b + 4]
        end
      end
      out[unit] = rev
    end
    i = i + n * 5
  end
end
if #fields > 2 then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', unpack(fields))
end
out[#out + 1] = tonumber(redis.call('GET', KEYS[1]) or '0')
return out
`;
