-- Revision 1201 (PostgreSQL only): the change-feed cursor helpers and the one-statement
-- reservation functions. Why this shape: docs/concurrency.md.

-- A change's cursor is (xid of the sub-transaction that wrote the balance) * 2^20 + its
-- ordinal in that statement. `x` is the 32-bit xmin of the new balance tuple; widen it to
-- the 64-bit xid8 with the epoch of the current top-level transaction (a sub-transaction's
-- xid is never older than its parent's).
CREATE FUNCTION stock_feed_xid(x xid) RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT t + mod(x::text::bigint - mod(t, 4294967296) + 4294967296, 4294967296)
    FROM (SELECT pg_current_xact_id()::text::bigint AS t) AS top
$$;

-- The feed horizon of the current snapshot: every cursor below it belongs to a transaction
-- that has finished, and every change still to commit will get a cursor at or above it.
-- It is the oldest transaction of this database still running (others cannot write our
-- tables; an xid whose backend is gone is counted as ours, which only delays), else xmax.
-- STABLE: it must see the snapshot of the statement that reads the rows.
CREATE FUNCTION stock_feed_horizon() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
          WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                             WHERE a.backend_xid::text = mod(x::text::bigint, 4294967296)::text
                               AND a.datname IS DISTINCT FROM current_database())),
        pg_snapshot_xmax(pg_current_snapshot())::text::bigint) * 1048576
$$;

-- Lock balances in the global order (product_id, warehouse_id): every balance of the
-- products `p_pids` (p_wids NULL), or the (p_pids[i], p_wids[i]) pairs. The lock is a
-- transaction-scoped advisory lock per balance, taken by every stock writer before it
-- touches the row (app/stock/repository.py too). Unlike SELECT … FOR UPDATE it assigns no
-- xid, and the row itself is then written by the sub-transaction of stock_apply alone:
-- a row locked by one sub-transaction and updated by another would get a MultiXact xmax,
-- which every later visitor of a hot row has to resolve.
CREATE FUNCTION stock_lock_balances(p_pids integer[], p_wids integer[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    FOR k IN
        SELECT DISTINCT b.product_id, b.warehouse_id FROM stock_balance b
         WHERE b.product_id = ANY (p_pids)
           AND (p_wids IS NULL OR (b.product_id, b.warehouse_id) IN (SELECT * FROM unnest(p_pids, p_wids)))
         ORDER BY b.product_id, b.warehouse_id
    LOOP
        PERFORM pg_advisory_xact_lock(k.product_id, k.warehouse_id);
    END LOOP;
END
$$;

-- Apply summed deltas to balances the caller has locked, and write their change-log rows,
-- in a sub-transaction opened after every lock is held: its xid orders the change after
-- every earlier writer of the same balances (see stock_feed_xid).
CREATE FUNCTION stock_apply(p_pids integer[], p_wids integer[], p_on_hand integer[], p_reserved integer[],
                            p_now timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        WITH d AS (
            SELECT t.pid, t.wid, sum(t.oh)::integer AS oh, sum(t.rd)::integer AS rd
              FROM unnest(p_pids, p_wids, p_on_hand, p_reserved) AS t(pid, wid, oh, rd)
             GROUP BY t.pid, t.wid HAVING sum(t.oh) <> 0 OR sum(t.rd) <> 0
        ), u AS (
            UPDATE stock_balance AS b
               SET on_hand = b.on_hand + d.oh, reserved = b.reserved + d.rd, version = b.version + 1,
                   updated_at = p_now
              FROM d WHERE b.product_id = d.pid AND b.warehouse_id = d.wid
            RETURNING b.xmin AS x, b.product_id, b.warehouse_id, b.on_hand, b.reserved, b.in_transit
        )
        INSERT INTO stock_change (seq, product_id, warehouse_id, on_hand, reserved, in_transit, at)
        SELECT stock_feed_xid(u.x) * 1048576 + row_number() OVER (ORDER BY u.product_id, u.warehouse_id),
               u.product_id, u.warehouse_id, u.on_hand, u.reserved, u.in_transit, p_now
          FROM u;
    EXCEPTION WHEN OTHERS THEN
        RAISE;
    END;
END
$$;

-- ISO 8601 in UTC exactly as the API's JSON encoder writes it (microseconds only when non-zero).
CREATE FUNCTION stock_json_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN mod(date_part('microseconds', t)::bigint, 1000000) = 0 THEN ''
                ELSE to_char(t AT TIME ZONE 'UTC', '.US') END || 'Z'
$$;

-- The ReservationOut body (app/api/schemas.py), byte for byte as pydantic renders it.
CREATE FUNCTION stock_reservation_json(p_id text, p_status text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT '{"id":' || to_json(r.id)::text || ',"order_ref":' || to_json(r.order_ref)::text
        || ',"status":' || to_json(p_status)::text || ',"expires_at":"' || stock_json_time(r.expires_at)
        || '","lines":[' || coalesce((
            SELECT string_agg('{"sku":' || to_json(p.sku)::text || ',"quantity":' || l.quantity
                || ',"allocations":[' || coalesce((
                    SELECT string_agg('{"warehouse":' || to_json(w.code)::text || ',"quantity":' || a.quantity || '}',
                                      ',' ORDER BY a.id)
                      FROM reservation_allocation a JOIN warehouse w ON w.id = a.warehouse_id
                     WHERE a.line_id = l.id), '') || ']}', ',' ORDER BY l.id)
              FROM reservation_line l JOIN product p ON p.id = l.product_id
             WHERE l.reservation_id = r.id), '') || ']}'
      FROM reservation r WHERE r.id = p_id
$$;

-- Claim an Idempotency-Key: no row = new key (placeholder inserted) or no key; one row = the
-- stored first answer ('replay') or 'key-reused' (other request). A concurrent twin waits
-- on the unique index until the first commits, then gets its answer.
CREATE FUNCTION stock_claim_key(p_client integer, p_key text, p_fingerprint text, p_now timestamptz)
RETURNS TABLE (out_status integer, out_body text, out_error text, out_detail jsonb) LANGUAGE plpgsql AS $$
BEGIN
    IF p_key IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO idempotency_record (api_client_id, key, fingerprint, response_status, response_body, created_at)
    VALUES (p_client, p_key, p_fingerprint, 0, '', p_now)
    ON CONFLICT (api_client_id, key) DO NOTHING;
    IF NOT FOUND THEN
        RETURN QUERY
            SELECT i.response_status, i.response_body,
                   CASE WHEN i.fingerprint = p_fingerprint THEN 'replay' ELSE 'key-reused' END, NULL::jsonb
              FROM idempotency_record i WHERE i.api_client_id = p_client AND i.key = p_key;
    END IF;
END
$$;

-- Reserve every line or none (app/stock/reservations.py:reserve_stock is the same rule in
-- Python). Errors come back as rows with out_error set and nothing written but the key's
-- placeholder: 'unknown-sku' (detail: 0-based line indexes), 'insufficient' (detail:
-- shortages), 'replay' / 'key-reused'.
CREATE FUNCTION stock_reserve(
    p_client integer, p_actor text, p_key text, p_fingerprint text, p_id text, p_order_ref text,
    p_region text, p_expires timestamptz, p_now timestamptz, p_skus text[], p_qtys integer[])
RETURNS TABLE (out_status integer, out_body text, out_error text, out_detail jsonb) LANGUAGE plpgsql AS $$
DECLARE
    v_pids integer[];
    v_unknown jsonb;
    v_overdue text[];
    v_won text[];
    v_short jsonb;
    v_ord integer[];
    v_wid integer[];
    v_take integer[];
    v_line_ids bigint[] := '{}';
    v_line bigint;
    v_audit bigint;
    v_involved integer[];
    d_pid integer[];
    d_wid integer[];
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
        -- One array, so the lock is an index scan (an OR with a sub-query would scan the table).
        SELECT array_agg(DISTINCT x) INTO v_involved FROM (
            SELECT unnest(v_pids) UNION SELECT l.product_id FROM reservation_line l
             WHERE l.reservation_id = ANY (v_overdue)) AS t(x);
        PERFORM stock_lock_balances(v_involved, NULL);
        SELECT coalesce(array_agg(r.id ORDER BY r.id), '{}') INTO v_won
          FROM reservation r WHERE r.id = ANY (v_overdue) AND r.status = 'active';
        -- The plan: per product, lines (in order) take from warehouses in allocation order; a
        -- line's share of a warehouse is the overlap of their running-total intervals, which is
        -- exactly what the greedy loop of ledger.plan_allocation computes.
        WITH freed AS (
            SELECT l.product_id AS pid, a.warehouse_id AS wid, sum(a.quantity) AS q
              FROM reservation_line l JOIN reservation_allocation a ON a.line_id = l.id
             WHERE l.reservation_id = ANY (v_won) GROUP BY 1, 2
        ), lines AS (
            SELECT t.ord, t.pid, t.qty, sum(t.qty) OVER (PARTITION BY t.pid ORDER BY t.ord) AS req_end
              FROM unnest(v_pids, p_qtys) WITH ORDINALITY AS t(pid, qty, ord)
        ), avail AS (
            SELECT b.product_id AS pid, b.warehouse_id AS wid, w.code,
                   greatest(b.on_hand - b.reserved + coalesce(f.q, 0), 0) AS av,
                   CASE WHEN w.kind = 'forward' AND p_region IS NOT NULL AND w.region = p_region THEN 0
                        WHEN w.kind = 'cloud' THEN 1 ELSE 2 END AS rnk
              FROM stock_balance b JOIN warehouse w ON w.id = b.warehouse_id AND w.is_active
              LEFT JOIN freed f ON f.pid = b.product_id AND f.wid = b.warehouse_id
             WHERE b.product_id = ANY (v_pids)
        ), cum AS (
            SELECT avail.*, sum(av) OVER (PARTITION BY pid ORDER BY rnk, code) AS av_end FROM avail
        ), short AS (
            SELECT r.first, p_skus[r.first] AS sku, r.req, coalesce(a.tot, 0) AS tot
              FROM (SELECT pid, sum(qty) AS req, min(ord) AS first FROM lines GROUP BY pid) r
              LEFT JOIN (SELECT pid, sum(av) AS tot FROM avail GROUP BY pid) a ON a.pid = r.pid
             WHERE coalesce(a.tot, 0) < r.req
        ), alloc AS (
            SELECT l.ord, c.wid, c.rnk, c.code,
                   least(l.req_end, c.av_end) - greatest(l.req_end - l.qty, c.av_end - c.av) AS take
              FROM lines l JOIN cum c ON c.pid = l.pid
        )
        SELECT (SELECT jsonb_agg(jsonb_build_object('sku', s.sku, 'requested', s.req, 'available', s.tot)
                                 ORDER BY s.first) FROM short s),
               array_agg(a.ord ORDER BY a.ord, a.rnk, a.code) FILTER (WHERE a.take > 0),
               array_agg(a.wid ORDER BY a.ord, a.rnk, a.code) FILTER (WHERE a.take > 0),
               array_agg(a.take ORDER BY a.ord, a.rnk, a.code) FILTER (WHERE a.take > 0)
          INTO v_short, v_ord, v_wid, v_take
          FROM alloc a;
        IF v_short IS NOT NULL THEN
            RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'SW409';
        END IF;
        IF cardinality(v_won) > 0 THEN
            UPDATE reservation SET status = 'expired', closed_at = p_now WHERE id = ANY (v_won);
            UPDATE audit_log SET details = jsonb_set(details::jsonb, '{expired}', to_jsonb(v_won))::text
             WHERE id = v_audit;
        END IF;
        INSERT INTO reservation_allocation (line_id, warehouse_id, quantity)
        SELECT v_line_ids[t.o], t.w, t.q FROM unnest(v_ord, v_wid, v_take) WITH ORDINALITY AS t(o, w, q, n) ORDER BY t.n;
        SELECT array_agg(x.pid), array_agg(x.wid), array_agg(0), array_agg(x.rd) INTO d_pid, d_wid, d_oh, d_rd FROM (
            SELECT l.product_id AS pid, a.warehouse_id AS wid, -a.quantity AS rd
              FROM reservation_line l JOIN reservation_allocation a ON a.line_id = l.id
             WHERE l.reservation_id = ANY (v_won)
            UNION ALL
            SELECT v_pids[t.o], t.w, t.q FROM unnest(v_ord, v_wid, v_take) AS t(o, w, q)) x;
        PERFORM stock_apply(d_pid, d_wid, d_oh, d_rd, p_now);
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

-- Commit (p_ship) or release an active reservation (reservations._close_one in Python).
-- A reservation of another client is 'not-found' unless p_admin. Errors: 'not-found',
-- 'not-active' (detail: status_now), 'expired' (it was overdue: the expiry is written;
-- detail: expires_at), 'replay' / 'key-reused'.
CREATE FUNCTION stock_close(p_client integer, p_admin boolean, p_actor text, p_key text, p_fingerprint text,
                            p_id text, p_ship boolean, p_now timestamptz)
RETURNS TABLE (out_status integer, out_body text, out_error text, out_detail jsonb) LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_expires timestamptz;
    v_owner integer;
    v_target text;
    d_pid integer[];
    d_wid integer[];
    d_oh integer[];
    d_rd integer[];
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
        SELECT array_agg(l.product_id), array_agg(a.warehouse_id),
               array_agg(CASE WHEN v_target = 'committed' THEN -a.quantity ELSE 0 END), array_agg(-a.quantity)
          INTO d_pid, d_wid, d_oh, d_rd
          FROM reservation_line l JOIN reservation_allocation a ON a.line_id = l.id WHERE l.reservation_id = p_id;
        IF v_target <> 'expired' THEN
            v_body := stock_reservation_json(p_id, v_target);
            IF p_key IS NOT NULL THEN
                UPDATE idempotency_record SET response_status = 200, response_body = v_body
                 WHERE api_client_id = p_client AND key = p_key;
            END IF;
        END IF;
        PERFORM stock_lock_balances(d_pid, d_wid);
        UPDATE reservation SET status = v_target, closed_at = p_now WHERE id = p_id AND status = 'active';
        IF NOT FOUND THEN  -- another transaction closed it between our read and our update
            RAISE EXCEPTION 'reservation closed meanwhile' USING ERRCODE = 'SW409';
        END IF;
        PERFORM stock_apply(d_pid, d_wid, d_oh, d_rd, p_now);
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
