-- Downgrade of 1710: 1601's lock functions (verbatim), then the gate goes.

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

CREATE OR REPLACE FUNCTION stock_lock_ids(p_ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
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

DROP FUNCTION stock_gate(integer);
DROP FUNCTION stock_gate_limit();
