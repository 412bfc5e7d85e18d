-- Revision 1601 (PostgreSQL only): hot-SKU buckets in the one-statement reservation functions.
-- Why this shape: docs/concurrency.md ("Hot-SKU mode"). The Python path (app/stock) follows
-- the same rules; tests/integration/test_reservations_one_statement.py compares the two.

-- The advisory-lock key of one bucket row: (product, warehouse + bucket × 2^24). Bucket 0
-- keeps 1201's key (product, warehouse), so a balance of one row is locked as before.
CREATE FUNCTION stock_balance_key(p integer, w integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT w + b * 16777216
$$;

-- Lock every bucket of the balances, in the global order (product, warehouse, bucket).
CREATE OR REPLACE FUNCTION stock_lock_balances(p_pids integer[], p_wids integer[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    FOR k IN
        SELECT b.product_id, b.warehouse_id, b.bucket FROM stock_balance b
         WHERE b.product_id = ANY (p_pids)
           AND (p_wids IS NULL OR (b.product_id, b.warehouse_id) IN (SELECT * FROM unnest(p_pids, p_wids)))
         ORDER BY b.product_id, b.warehouse_id, b.bucket
    LOOP
        PERFORM pg_advisory_xact_lock(k.product_id, stock_balance_key(k.product_id, k.warehouse_id, k.bucket));
    END LOOP;
END
$$;

-- Lock these balance rows (ids), in the global order.
CREATE FUNCTION stock_lock_ids(p_ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    FOR k IN
        SELECT b.product_id, b.warehouse_id, b.bucket FROM stock_balance b WHERE b.id = ANY (p_ids)
         ORDER BY b.product_id, b.warehouse_id, b.bucket
    LOOP
        PERFORM pg_advisory_xact_lock(k.product_id, stock_balance_key(k.product_id, k.warehouse_id, k.bucket));
    END LOOP;
END
$$;

-- The fast path of a reservation: ONE bucket of every balance of the products, in the global
-- order. A balance of one row is locked as usual. Of a bucketed balance the first bucket that
-- is free now is taken — try-locks, which never wait, from a random start, buckets with stock
-- first — else it waits for the start bucket. It never waits while holding another bucket of
-- the same balance, so every wait is for a lock above all those it holds: no cycle with the
-- ordered lockers, no deadlock. Returns the locked row ids.
CREATE FUNCTION stock_reserve_lock(p_pids integer[]) RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE
    k record;
    v_ids integer[];
    v_bks integer[];
    n integer;
    s integer;
    c integer;
    got integer;
    v_out integer[] := '{}';
BEGIN
    FOR k IN
        SELECT b.product_id AS p, b.warehouse_id AS w,
               array_agg(b.id ORDER BY b.bucket) AS ids, array_agg(b.bucket ORDER BY b.bucket) AS bks,
               array_agg(b.id ORDER BY b.bucket) FILTER (WHERE b.on_hand > b.reserved) AS free_ids,
               array_agg(b.bucket ORDER BY b.bucket) FILTER (WHERE b.on_hand > b.reserved) AS free_bks
          FROM stock_balance b WHERE b.product_id = ANY (p_pids)
         GROUP BY b.product_id, b.warehouse_id ORDER BY b.product_id, b.warehouse_id
    LOOP
        IF cardinality(k.ids) = 1 THEN
            PERFORM pg_advisory_xact_lock(k.p, stock_balance_key(k.p, k.w, k.bks[1]));
            v_out := v_out || k.ids[1];
            CONTINUE;
        END IF;
        v_ids := coalesce(k.free_ids, k.ids);
        v_bks := coalesce(k.free_bks, k.bks);
        n := cardinality(v_ids);
        s := floor(random() * n)::integer;
        got := NULL;
        FOR j IN 0 .. n - 1 LOOP
            c := 1 + (s + j) % n;
            IF pg_try_advisory_xact_lock(k.p, stock_balance_key(k.p, k.w, v_bks[c])) THEN
                got := v_ids[c];
                EXIT;
            END IF;
        END LOOP;
        IF got IS NULL THEN
            PERFORM pg_advisory_xact_lock(k.p, stock_balance_key(k.p, k.w, v_bks[1 + s]));
            got := v_ids[1 + s];
        END IF;
        v_out := v_out || got;
    END LOOP;
    RETURN v_out;
END
$$;

-- The plan (ledger.plan_allocation's rule) over slots = the locked rows `p_ids` of the
-- products: per product, lines (in order) take from slots in allocation order (warehouse
-- rank, code, bucket); a line's share of a slot is the overlap of their running-total
-- intervals. Returns the shortages (NULL if none) and the allocations (line ordinal, balance
-- row id, quantity). `p_won`: reservations being expired, whose stock counts as free.
-- p_fast (one bucket of each bucketed balance is a slot): the plan is refused too — reported
-- short, so the caller makes the full plan — when a line would pass through such a bucket
-- (its other buckets might cover more of the line there, as the full plan would) or when a
-- balance has no slot (it was resized while we waited for it).
CREATE FUNCTION stock_plan(p_pids integer[], p_qtys integer[], p_skus text[], p_region text, p_ids integer[],
                           p_won text[], p_fast boolean)
RETURNS TABLE (short jsonb, ords integer[], bids integer[], takes integer[]) LANGUAGE sql STABLE AS $$
    WITH freed AS (
        SELECT l.product_id AS pid, a.warehouse_id AS wid, a.bucket AS bk, sum(a.quantity) AS q
          FROM reservation_line l JOIN reservation_allocation a ON a.line_id = l.id
         WHERE l.reservation_id = ANY (p_won) GROUP BY 1, 2, 3
    ), lines AS (
        SELECT t.ord, t.pid, t.qty, sum(t.qty) OVER (PARTITION BY t.pid ORDER BY t.ord) AS req_end
          FROM unnest(p_pids, p_qtys) WITH ORDINALITY AS t(pid, qty, ord)
    ), req AS (
        SELECT pid, sum(qty) AS req, min(ord) AS first FROM lines GROUP BY pid
    ), counts AS (
        SELECT b.product_id AS pid, b.warehouse_id AS wid, count(*) AS n
          FROM stock_balance b JOIN warehouse w ON w.id = b.warehouse_id AND w.is_active
         WHERE b.product_id = ANY (p_pids) GROUP BY 1, 2
    ), avail AS (
        SELECT b.id, b.product_id AS pid, b.warehouse_id AS wid, b.bucket, w.code, c.n,
               greatest(b.on_hand - b.reserved + coalesce(f.q, 0), 0) AS av,
               CASE WHEN w.kind = 'forward' AND p_region IS NOT NULL AND w.region = p_region THEN 0
                    WHEN w.kind = 'cloud' THEN 1 ELSE 2 END AS rnk
          FROM stock_balance b JOIN warehouse w ON w.id = b.warehouse_id AND w.is_active
          JOIN counts c ON c.pid = b.product_id AND c.wid = b.warehouse_id
          LEFT JOIN freed f ON f.pid = b.product_id AND f.wid = b.warehouse_id AND f.bk = b.bucket
         WHERE b.id = ANY (p_ids) AND b.product_id = ANY (p_pids)
    ), cum AS (
        SELECT avail.*, sum(av) OVER (PARTITION BY pid ORDER BY rnk, code, bucket) AS av_end FROM avail
    ), short AS (
        SELECT r.first, p_skus[r.first] AS sku, r.req, coalesce(a.tot, 0) AS tot
          FROM req r LEFT JOIN (SELECT pid, sum(av) AS tot FROM avail GROUP BY pid) a ON a.pid = r.pid
         WHERE coalesce(a.tot, 0) < r.req
            OR (p_fast AND (EXISTS (SELECT 1 FROM cum c WHERE c.pid = r.pid AND c.n > 1 AND c.av_end < r.req)
                            OR (SELECT count(*) FROM counts c WHERE c.pid = r.pid)
                               <> (SELECT count(*) FROM avail a WHERE a.pid = r.pid)))
    ), alloc AS (
        SELECT l.ord, c.id, c.rnk, c.code, c.bucket,
               least(l.req_end, c.av_end) - greatest(l.req_end - l.qty, c.av_end - c.av) AS take
          FROM lines l JOIN cum c ON c.pid = l.pid
    )
    SELECT (SELECT jsonb_agg(jsonb_build_object('sku', s.sku, 'requested', s.req, 'available', s.tot)
                             ORDER BY s.first) FROM short s),
           array_agg(a.ord::integer ORDER BY a.ord, a.rnk, a.code, a.bucket) FILTER (WHERE a.take > 0),
           array_agg(a.id ORDER BY a.ord, a.rnk, a.code, a.bucket) FILTER (WHERE a.take > 0),
           array_agg(a.take::integer ORDER BY a.ord, a.rnk, a.code, a.bucket) FILTER (WHERE a.take > 0)
      FROM alloc a
$$;

-- Rebalance the balances of rows `p_ids` after reserved deltas `p_rd` (ledger.spread_on_hand):
-- every bucket keeps its reserved and gets an equal share of the balance's free stock (the
-- remainder to the first buckets); below reserved (after a count) each bucket in turn covers
-- its reserved as far as on hand goes. Returns (row id, on-hand delta, reserved delta) for
-- every row of those balances; a balance of one row is left as it is.
CREATE FUNCTION stock_rebalance(p_ids integer[], p_rd integer[])
RETURNS TABLE (id integer, d_on_hand integer, d_reserved integer) LANGUAGE sql STABLE AS $$
    WITH d AS (
        SELECT t.id, sum(t.rd)::integer AS rd FROM unnest(p_ids, p_rd) AS t(id, rd) GROUP BY t.id
    ), k AS (
        SELECT DISTINCT b.product_id, b.warehouse_id FROM stock_balance b JOIN d ON d.id = b.id
    ), b AS (
        SELECT s.id, s.product_id, s.warehouse_id, s.bucket, s.on_hand, coalesce(d.rd, 0) AS rd,
               s.reserved + coalesce(d.rd, 0) AS r
          FROM stock_balance s JOIN k ON k.product_id = s.product_id AND k.warehouse_id = s.warehouse_id
          LEFT JOIN d ON d.id = s.id
    ), t AS (
        SELECT b.*, sum(b.on_hand) OVER w AS total, sum(b.r) OVER w AS rtot, count(*) OVER w AS n,
               row_number() OVER (w ORDER BY b.bucket) AS i, sum(b.r) OVER (w ORDER BY b.bucket) - b.r AS rbefore
          FROM b WINDOW w AS (PARTITION BY b.product_id, b.warehouse_id)
    )
    SELECT t.id,
           (CASE WHEN t.n = 1 THEN t.on_hand
                 WHEN t.total >= t.rtot THEN t.r + (t.total - t.rtot) / t.n
                      + CASE WHEN t.i <= (t.total - t.rtot) % t.n THEN 1 ELSE 0 END
                 ELSE least(t.r, greatest(t.total - t.rbefore, 0)) END - t.on_hand)::integer,
           t.rd
      FROM t
$$;

-- Apply summed deltas to rows (ids) the caller has locked and write their change-log rows, in
-- a sub-transaction opened after every lock is held (its xid orders the change, see
-- stock_feed_xid). Per balance, the rows are numbered bucket-descending and all but the
-- lowest bucket's are hidden: the feed shows one record per balance and write.
CREATE FUNCTION stock_apply_buckets(p_ids integer[], p_on_hand integer[], p_reserved integer[], p_now timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        WITH d AS (
            SELECT t.id, sum(t.oh)::integer AS oh, sum(t.rd)::integer AS rd
              FROM unnest(p_ids, p_on_hand, p_reserved) AS t(id, oh, rd)
             GROUP BY t.id HAVING sum(t.oh) <> 0 OR sum(t.rd) <> 0
        ), u AS (
            UPDATE stock_balance AS b
               SET on_hand = b.on_hand + d.oh, reserved = b.reserved + d.rd, version = b.version + 1,
                   updated_at = p_now
              FROM d WHERE b.id = d.id
            RETURNING b.xmin AS x, b.product_id, b.warehouse_id, b.bucket, b.on_hand, b.reserved, b.in_transit
        )
        INSERT INTO stock_change (seq, product_id, warehouse_id, on_hand, reserved, in_transit, at, bucket, buckets,
                                  hidden)
        SELECT stock_feed_xid(u.x) * 1048576
                   + row_number() OVER (ORDER BY u.product_id, u.warehouse_id, u.bucket DESC),
               u.product_id, u.warehouse_id, u.on_hand, u.reserved, u.in_transit, p_now, u.bucket,
               (SELECT count(*) FROM stock_balance c WHERE c.product_id = u.product_id
                                                       AND c.warehouse_id = u.warehouse_id),
               row_number() OVER (PARTITION BY u.product_id, u.warehouse_id ORDER BY u.bucket) > 1
          FROM u;
    EXCEPTION WHEN OTHERS THEN
        RAISE;
    END;
END
$$;

DROP FUNCTION stock_apply(integer[], integer[], integer[], integer[], timestamptz);

-- The ReservationOut body, byte for byte as pydantic renders it; a line's allocations in
-- several buckets of one warehouse are one allocation.
CREATE OR REPLACE FUNCTION stock_reservation_json(p_id text, p_status text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT '{"id":' || to_json(r.id)::text || ',"order_ref":' || to_json(r.order_ref)::text
        || ',"status":' || to_json(p_status)::text || ',"expires_at":"' || stock_json_time(r.expires_at)
        || '","lines":[' || coalesce((
            SELECT string_agg('{"sku":' || to_json(p.sku)::text || ',"quantity":' || l.quantity
                || ',"allocations":[' || coalesce((
                    SELECT string_agg('{"warehouse":' || to_json(g.code)::text || ',"quantity":' || g.q || '}',
                                      ',' ORDER BY g.first)
                      FROM (SELECT w.code, sum(a.quantity) AS q, min(a.id) AS first
                              FROM reservation_allocation a JOIN warehouse w ON w.id = a.warehouse_id
                             WHERE a.line_id = l.id GROUP BY w.code) AS g), '') || ']}', ',' ORDER BY l.id)
              FROM reservation_line l JOIN product p ON p.id = l.product_id
             WHERE l.reservation_id = r.id), '') || ']}'
      FROM reservation r WHERE r.id = p_id
$$;

-- Reserve every line or none (app/stock/reservations.py:reserve_stock is the same rule in
-- Python). Errors come back as rows with out_error set and nothing written but the key's
-- placeholder: 'unknown-sku' (detail: 0-based line indexes), 'insufficient' (detail:
-- shortages), 'replay' / 'key-reused'. Fast path: one bucket of each balance
-- (stock_reserve_lock); when it cannot give the plan the whole balances would, its locks
-- are let go and every bucket is locked in order (the full path), as when holds are overdue.
CREATE OR REPLACE FUNCTION stock_reserve(
    p_client integer, p_actor text, p_key text, p_fingerprint text, p_id text, p_order_ref text,
    p_region text, p_expires timestamptz, p_now timestamptz, p_skus text[], p_qtys integer[])
RETURNS TABLE (out_status integer, out_body text, out_error text, out_detail jsonb) LANGUAGE plpgsql AS $$
DECLARE
    v_pids integer[];
    v_unknown jsonb;
    v_overdue text[];
    v_won text[] := '{}';
    v_full boolean;
    v_locked integer[];
    v_short jsonb;
    v_ord integer[];
    v_bid integer[];
    v_take integer[];
    v_line_ids bigint[] := '{}';
    v_line bigint;
    v_audit bigint;
    v_involved integer[];
    d_id integer[];
    d_oh integer[];
    d_rd integer[];
    v_body text;
BEGIN
    RETURN QUERY SELECT * FROM stock_claim_key(p_client, p_key, p_fingerprint, p_now);
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT array_agg(p.id ORDER BY t.ord), jsonb_agg(t.ord - 1 ORDER BY t.ord) FILTER (WHERE p.id IS NULL)
      INTO v_pids, v_unknown
      FROM unnest(p_skus) WITH ORDINALITY AS t(sku, ord) LEFT JOIN product p ON p.sku = t.sku;
    IF v_unknown IS NOT NULL THEN
        RETURN QUERY SELECT 422, NULL::text, 'unknown-sku'::text, v_unknown;
        RETURN;
    END IF;
    -- Overdue holds on these products are expired first (docs/concurrency.md rule 3).
    SELECT coalesce(array_agg(DISTINCT r.id), '{}') INTO v_overdue
      FROM reservation r JOIN reservation_line l ON l.reservation_id = r.id
     WHERE r.status = 'active' AND r.expires_at <= p_now AND l.product_id = ANY (v_pids);
    -- A sub-transaction: the new rows are written before the balance lock (they lock nothing
    -- anyone waits for), so the hot rows are held for the plan and the balance writes only;
    -- a shortage rolls it back, which also lets go of the balance locks at once.
    BEGIN
        INSERT INTO reservation (id, order_ref, region, status, expires_at, created_at, closed_at, api_client_id)
        VALUES (p_id, p_order_ref, p_region, 'active', p_expires, p_now, NULL, p_client);
        FOR i IN 1 .. array_length(v_pids, 1) LOOP
            INSERT INTO reservation_line (reservation_id, product_id, quantity)
            VALUES (p_id, v_pids[i], p_qtys[i]) RETURNING id INTO v_line;
            v_line_ids := v_line_ids || v_line;
        END LOOP;
        INSERT INTO audit_log (at, actor_type, actor_id, actor_label, action, entity_type, entity_id, details)
        VALUES (p_now, 'api', p_client, p_actor, 'reservation.create', 'reservation', p_id, jsonb_build_object(
            'expired', NULL,
            'lines', (SELECT jsonb_agg(jsonb_build_array(u.s, u.q) ORDER BY u.o)
                        FROM unnest(p_skus, p_qtys) WITH ORDINALITY AS u(s, q, o)),
            'order_ref', p_order_ref)::text) RETURNING id INTO v_audit;
        v_full := cardinality(v_overdue) > 0;
        IF NOT v_full THEN
            BEGIN  -- the fast path, in a sub-transaction whose rollback lets go of its locks
                v_locked := stock_reserve_lock(v_pids);
                SELECT p.short, p.ords, p.bids, p.takes INTO v_short, v_ord, v_bid, v_take
                  FROM stock_plan(v_pids, p_qtys, p_skus, p_region, v_locked, '{}', true) AS p;
                IF v_short IS NOT NULL THEN
                    RAISE EXCEPTION 'one bucket per balance cannot decide' USING ERRCODE = 'SW408';
                END IF;
            EXCEPTION WHEN SQLSTATE 'SW408' THEN
                v_full := true;
            END;
        END IF;
        IF v_full THEN
            -- One array, so the lock is an index scan (an OR with a sub-query would scan the table).
            SELECT array_agg(DISTINCT x) INTO v_involved FROM (
                SELECT unnest(v_pids) UNION SELECT l.product_id FROM reservation_line l
                 WHERE l.reservation_id = ANY (v_overdue)) AS t(x);
            PERFORM stock_lock_balances(v_involved, NULL);
            SELECT coalesce(array_agg(r.id ORDER BY r.id), '{}') INTO v_won
              FROM reservation r WHERE r.id = ANY (v_overdue) AND r.status = 'active';
            SELECT array_agg(b.id) INTO v_locked FROM stock_balance b WHERE b.product_id = ANY (v_pids);
            SELECT p.short, p.ords, p.bids, p.takes INTO v_short, v_ord, v_bid, v_take
              FROM stock_plan(v_pids, p_qtys, p_skus, p_region, v_locked, v_won, false) AS p;
            IF v_short IS NOT NULL THEN
                RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'SW409';
            END IF;
        END IF;
        IF cardinality(v_won) > 0 THEN
            UPDATE reservation SET status = 'expired', closed_at = p_now WHERE id = ANY (v_won);
            UPDATE audit_log SET details = jsonb_set(details::jsonb, '{expired}', to_jsonb(v_won))::text
             WHERE id = v_audit;
        END IF;
        INSERT INTO reservation_allocation (line_id, warehouse_id, quantity, bucket)
        SELECT v_line_ids[t.o], b.warehouse_id, t.q, b.bucket
          FROM unnest(v_ord, v_bid, v_take) WITH ORDINALITY AS t(o, id, q, n) JOIN stock_balance b ON b.id = t.id
         ORDER BY t.n;
        SELECT array_agg(x.id), array_agg(x.rd) INTO d_id, d_rd FROM (
            SELECT b.id, -a.quantity AS rd
              FROM reservation_line l JOIN reservation_allocation a ON a.line_id = l.id
              JOIN stock_balance b ON b.product_id = l.product_id AND b.warehouse_id = a.warehouse_id
                                  AND b.bucket = a.bucket
             WHERE l.reservation_id = ANY (v_won)
            UNION ALL
            SELECT t.id, t.q FROM unnest(v_bid, v_take) AS t(id, q)) x;
        IF v_full THEN  -- every bucket is held: rebalance the bucketed balances on the way
            SELECT array_agg(r.id), array_agg(r.d_on_hand), array_agg(r.d_reserved) INTO d_id, d_oh, d_rd
              FROM stock_rebalance(d_id, d_rd) AS r;
        ELSE
            d_oh := array_fill(0, ARRAY[cardinality(d_id)]);
        END IF;
        PERFORM stock_apply_buckets(d_id, d_oh, d_rd, p_now);
    EXCEPTION WHEN SQLSTATE 'SW409' THEN
        RETURN QUERY SELECT 409, NULL::text, 'insufficient'::text, v_short;
        RETURN;
    END;
    v_body := stock_reservation_json(p_id, 'active');
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_record SET response_status = 201, response_body = v_body
         WHERE api_client_id = p_client AND key = p_key;
    END IF;
    RETURN QUERY SELECT 201, v_body, NULL::text, jsonb_build_object('expired', to_jsonb(v_won));
END
$$;

-- Commit (p_ship) or release an active reservation (reservations.close_reservation in Python).
-- A reservation of another client is 'not-found' unless p_admin. Errors: 'not-found',
-- 'not-active' (detail: status_now), 'expired' (it was overdue: the expiry is written;
-- detail: expires_at), 'replay' / 'key-reused'. Only the buckets its allocations hold are
-- locked; if they were resized meanwhile, every bucket of those balances is.
CREATE OR REPLACE FUNCTION stock_close(p_client integer, p_admin boolean, p_actor text, p_key text, p_fingerprint text,
                                       p_id text, p_ship boolean, p_now timestamptz)
RETURNS TABLE (out_status integer, out_body text, out_error text, out_detail jsonb) LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_expires timestamptz;
    v_owner integer;
    v_target text;
    d_id integer[];
    d_oh integer[];
    d_rd integer[];
    v_pids integer[];
    v_wids integer[];
    v_body text;
BEGIN
    RETURN QUERY SELECT * FROM stock_claim_key(p_client, p_key, p_fingerprint, p_now);
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT r.status, r.expires_at, r.api_client_id INTO v_status, v_expires, v_owner
      FROM reservation r WHERE r.id = p_id;
    IF NOT FOUND OR (NOT p_admin AND v_owner IS DISTINCT FROM p_client) THEN
        RETURN QUERY SELECT 404, NULL::text, 'not-found'::text, NULL::jsonb;
        RETURN;
    END IF;
    IF v_status <> 'active' THEN
        RETURN QUERY SELECT 409, NULL::text, 'not-active'::text, jsonb_build_object('status_now', v_status);
        RETURN;
    END IF;
    v_target := CASE WHEN v_expires <= p_now THEN 'expired' WHEN p_ship THEN 'committed' ELSE 'released' END;
    -- A sub-transaction: everything that does not depend on winning is written before the
    -- balance lock; losing the conditional update rolls it back. So the balance rows are
    -- held for the conditional update, the balance write and the COMMIT only.
    BEGIN
        INSERT INTO audit_log (at, actor_type, actor_id, actor_label, action, entity_type, entity_id, details)
        VALUES (p_now, 'api', p_client, p_actor,
                'reservation.' || CASE v_target WHEN 'expired' THEN 'expire' WHEN 'committed' THEN 'commit'
                                                ELSE 'release' END,
                'reservation', p_id, NULL);
        IF v_target = 'committed' THEN
            INSERT INTO stock_movement (product_id, warehouse_id, kind, quantity, occurred_at, business_date,
                                        recorded_at, source, event_id, reference_type, reference_id, note, user_id)
            SELECT l.product_id, a.warehouse_id, 'shipment', -a.quantity, p_now, (p_now AT TIME ZONE 'UTC')::date,
                   clock_timestamp(), 'reservation', NULL, 'reservation', p_id, NULL, NULL
              FROM reservation_line l JOIN reservation_allocation a ON a.line_id = l.id
             WHERE l.reservation_id = p_id ORDER BY l.id, a.id;
        END IF;
        SELECT array_agg(b.id ORDER BY a.id) INTO d_id
          FROM reservation_line l JOIN reservation_allocation a ON a.line_id = l.id
          JOIN stock_balance b ON b.product_id = l.product_id AND b.warehouse_id = a.warehouse_id
                              AND b.bucket = a.bucket
         WHERE l.reservation_id = p_id;
        IF v_target <> 'expired' THEN
            v_body := stock_reservation_json(p_id, v_target);
            IF p_key IS NOT NULL THEN
                UPDATE idempotency_record SET response_status = 200, response_body = v_body
                 WHERE api_client_id = p_client AND key = p_key;
            END IF;
        END IF;
        BEGIN  -- the buckets the allocations hold; a rollback of this block lets go of them
            PERFORM stock_lock_ids(d_id);
            IF (SELECT array_agg(b.id ORDER BY a.id)
                  FROM reservation_line l JOIN reservation_allocation a ON a.line_id = l.id
                  JOIN stock_balance b ON b.product_id = l.product_id AND b.warehouse_id = a.warehouse_id
                                      AND b.bucket = a.bucket
                 WHERE l.reservation_id = p_id) IS DISTINCT FROM d_id THEN
                RAISE EXCEPTION 'buckets resized meanwhile' USING ERRCODE = 'SW408';
            END IF;
        EXCEPTION WHEN SQLSTATE 'SW408' THEN
            SELECT array_agg(l.product_id), array_agg(a.warehouse_id) INTO v_pids, v_wids
              FROM reservation_line l JOIN reservation_allocation a ON a.line_id = l.id WHERE l.reservation_id = p_id;
            PERFORM stock_lock_balances(v_pids, v_wids);
        END;
        UPDATE reservation SET status = v_target, closed_at = p_now WHERE id = p_id AND status = 'active';
        IF NOT FOUND THEN  -- another transaction closed it between our read and our update
            RAISE EXCEPTION 'reservation closed meanwhile' USING ERRCODE = 'SW409';
        END IF;
        SELECT array_agg(b.id), array_agg(CASE WHEN v_target = 'committed' THEN -a.quantity ELSE 0 END),
               array_agg(-a.quantity)
          INTO d_id, d_oh, d_rd
          FROM reservation_line l JOIN reservation_allocation a ON a.line_id = l.id
          JOIN stock_balance b ON b.product_id = l.product_id AND b.warehouse_id = a.warehouse_id
                              AND b.bucket = a.bucket
         WHERE l.reservation_id = p_id;
        PERFORM stock_apply_buckets(d_id, d_oh, d_rd, p_now);
    EXCEPTION WHEN SQLSTATE 'SW409' THEN
        SELECT r.status INTO v_status FROM reservation r WHERE r.id = p_id;
        RETURN QUERY SELECT 409, NULL::text, 'not-active'::text, jsonb_build_object('status_now', v_status);
        RETURN;
    END;
    IF v_target = 'expired' THEN
        RETURN QUERY SELECT 409, NULL::text, 'expired'::text, jsonb_build_object('expires_at', stock_json_time(v_expires));
        RETURN;
    END IF;
    RETURN QUERY SELECT 200, v_body, NULL::text, NULL::jsonb;
END
$$;
