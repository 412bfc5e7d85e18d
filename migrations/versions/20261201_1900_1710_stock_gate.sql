-- Revision 1710 (PostgreSQL only): the stock gate — the number of locks a stock writer holds is
-- bounded, whatever the size of its document (docs/concurrency.md rules 1 and 11).
--
-- Every stock writer takes the gate, one advisory lock on the bigint key 0x73746f636b
-- ('stock'), before its first balance lock: shared by a narrow writer, which then takes its
-- per-row advisory locks as before; exclusive by a wide one (more than stock_gate_limit()
-- rows), which takes no per-row advisory lock at all. An exclusive holder therefore runs
-- alone among stock writers, and a narrow one with the narrow ones, excluded per row as
-- before. The gate ranks below every balance lock, so the global order stands.

CREATE FUNCTION stock_gate_limit() RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT 1000
$$;

-- Take the gate for a writer about to lock `p_rows` balance rows. Returns true when it holds
-- the gate exclusively (wide: no per-row advisory lock needed). A transaction that already
-- holds it shared (it locked balances the narrow way before) is not upgraded — an upgrade
-- could wait for a narrow writer that waits for one of our rows — so it stays narrow.
-- Only a wide request looks at pg_locks (which visits every lock partition): never the hot path.
CREATE FUNCTION stock_gate(p_rows integer) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_shared boolean;
    v_exclusive boolean;
BEGIN
    IF p_rows > stock_gate_limit() THEN
        SELECT coalesce(bool_or(l.mode = 'ShareLock'), false), coalesce(bool_or(l.mode = 'ExclusiveLock'), false)
          INTO v_shared, v_exclusive
          FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted AND l.objsubid = 1
           AND l.classid = 115 AND l.objid = 1953457003
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database());
        IF v_exclusive OR NOT v_shared THEN
            PERFORM pg_advisory_xact_lock(495874696043);
            RETURN true;
        END IF;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(495874696043);
    RETURN false;
END
$$;

-- Lock every bucket of the balances, in the global order (product, warehouse, bucket).
CREATE OR REPLACE FUNCTION stock_lock_balances(p_pids integer[], p_wids integer[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_p integer[];
    v_k integer[];
BEGIN
    SELECT array_agg(b.product_id ORDER BY b.product_id, b.warehouse_id, b.bucket),
           array_agg(stock_balance_key(b.product_id, b.warehouse_id, b.bucket)
                     ORDER BY b.product_id, b.warehouse_id, b.bucket)
      INTO v_p, v_k
      FROM stock_balance b
     WHERE b.product_id = ANY (p_pids)
       AND (p_wids IS NULL OR (b.product_id, b.warehouse_id) IN (SELECT * FROM unnest(p_pids, p_wids)));
    IF stock_gate(coalesce(cardinality(v_p), 0)) THEN
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(cardinality(v_p), 0) LOOP
        PERFORM pg_advisory_xact_lock(v_p[i], v_k[i]);
    END LOOP;
END
$$;

-- Lock these balance rows (ids), in the global order.
CREATE OR REPLACE FUNCTION stock_lock_ids(p_ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    IF stock_gate(coalesce(cardinality(p_ids), 0)) THEN
        RETURN;
    END IF;
    FOR k IN
        SELECT b.product_id, b.warehouse_id, b.bucket FROM stock_balance b WHERE b.id = ANY (p_ids)
         ORDER BY b.product_id, b.warehouse_id, b.bucket
    LOOP
        PERFORM pg_advisory_xact_lock(k.product_id, stock_balance_key(k.product_id, k.warehouse_id, k.bucket));
    END LOOP;
END
$$;

-- The fast path of a reservation (1601), behind the gate (shared). More balances than the
-- gate's limit: SW408, i.e. the caller's sub-transaction lets go of what it took and the full
-- path locks them all (stock_lock_balances: the gate, exclusive).
CREATE OR REPLACE FUNCTION stock_reserve_lock(p_pids integer[]) RETURNS integer[] LANGUAGE plpgsql AS $$
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
    PERFORM pg_advisory_xact_lock_shared(495874696043);
    FOR k IN
        SELECT b.product_id AS p, b.warehouse_id AS w,
               array_agg(b.id ORDER BY b.bucket) AS ids, array_agg(b.bucket ORDER BY b.bucket) AS bks,
               array_agg(b.id ORDER BY b.bucket) FILTER (WHERE b.on_hand > b.reserved) AS free_ids,
               array_agg(b.bucket ORDER BY b.bucket) FILTER (WHERE b.on_hand > b.reserved) AS free_bks
          FROM stock_balance b WHERE b.product_id = ANY (p_pids)
         GROUP BY b.product_id, b.warehouse_id ORDER BY b.product_id, b.warehouse_id
    LOOP
        IF cardinality(v_out) >= stock_gate_limit() THEN
            RAISE EXCEPTION 'too many balances for per-row locks' USING ERRCODE = 'SW408';
        END IF;
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
