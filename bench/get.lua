-- wrk script: get-cart. The URL (with ?user_id=...&b=true) and the Authorization header come
-- from the command line; the request is static, so wrk builds it once.
dofile("report.lua")
