-- Token bucket + daily quota for one tenant, decided atomically in one call.
-- Mirror of app/ratelimit/bucket.py (a test checks both give identical decisions).
-- KEYS[1]  the tenant's hash
-- ARGV[1]  refill rate, tokens per second
-- ARGV[2]  burst: bucket capacity in tokens
-- ARGV[3]  daily quota, 0 = unlimited
-- ARGV[4]  clock override in microseconds since the epoch; "" = Redis TIME (tests only)
-- Returns one string of nine integers separated by spaces (a single bulk reply parses
-- much faster in the client than a nine-element array): allowed, kind (0 none, 1 rate,
-- 2 daily quota), micro-tokens left, retry-after us, full-in us, quota used today,
-- now us, until-midnight us, ttl us.
local MICRO = 1000000
local DAY = 86400 * MICRO
local MINUTE = 60 * MICRO
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2]) * MICRO
local quota = tonumber(ARGV[3])
local now
if ARGV[4] ~= nil and ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * MICRO + tonumber(t[2])
end

local s = redis.call('HMGET', KEYS[1], 't', 'ts', 'd', 'u', 'rw', 'rn', 'rp')
local tokens = tonumber(s[1]) or cap
local ts = tonumber(s[2]) or now
if now > ts then
  tokens = math.min(cap, tokens + (now - ts) * rate)
  ts = now
end
tokens = math.min(cap, tokens)

local day = math.floor(now / DAY)
local used = 0
if tonumber(s[3]) == day then
  used = tonumber(s[4]) or 0
end

local kind = 0
local retry = 0
local until_midnight = (day + 1) * DAY - now
if quota > 0 and used >= quota then
  kind = 2
  retry = until_midnight
elseif tokens < MICRO then
  kind = 1
  retry = math.ceil((MICRO - tokens) / rate)
else
  tokens = tokens - MICRO
  if quota > 0 then
    used = used + 1
  end
end

local minute = math.floor(now / MINUTE)
local rw = tonumber(s[5]) or minute
local rn = tonumber(s[6]) or 0
local rp = tonumber(s[7]) or 0
if minute ~= rw then
  if minute == rw + 1 then rp = rn else rp = 0 end
  rn = 0
  rw = minute
end
if kind ~= 0 then
  rn = rn + 1
end

local full_in = math.ceil((cap - tokens) / rate)
local ttl = full_in
if quota > 0 and used > 0 then
  ttl = math.max(ttl, until_midnight)
end
if rn > 0 or rp > 0 then
  ttl = math.max(ttl, 2 * MINUTE)
end
ttl = math.max(ttl, MICRO)

redis.call('HSET', KEYS[1],
  't', string.format('%.17g', tokens), 'ts', string.format('%.17g', ts),
  'd', string.format('%.17g', day), 'u', string.format('%.17g', used),
  'rw', string.format('%.17g', rw), 'rn', string.format('%.17g', rn),
  'rp', string.format('%.17g', rp))
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000))

local allowed = 0
if kind == 0 then allowed = 1 end
-- %d formats through a 64-bit integer: microsecond clocks keep every digit.
return string.format('%d %d %d %d %d %d %d %d %d',
  allowed, kind, math.floor(tokens), retry, full_in, used, now, until_midnight, ttl)
