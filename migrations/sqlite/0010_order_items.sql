-- Order lines, one row per item: what suggestions are computed from ("customers who bought
-- what you bought also bought …") without parsing JSON at send time.
CREATE TABLE order_items (
    order_id    TEXT NOT NULL REFERENCES orders (id),
    customer_id TEXT NOT NULL,
    sku         TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (order_id, sku)
) WITHOUT ROWID;
CREATE INDEX order_items_customer ON order_items (customer_id, sku);
CREATE INDEX order_items_sku ON order_items (sku);

-- Co-purchase counts, refreshed on full cycles: how many customers bought both products.
CREATE TABLE product_pairs (
    sku_a     TEXT NOT NULL,
    sku_b     TEXT NOT NULL,
    customers INTEGER NOT NULL,
    PRIMARY KEY (sku_a, sku_b)
) WITHOUT ROWID;

-- A product's name as customers of each language bought it (refreshed with the pairs), so a
-- Persian email suggests «تخته برش چوب گردو», not "Walnut cutting board".
CREATE TABLE product_names (
    sku    TEXT NOT NULL,
    locale TEXT NOT NULL,
    name   TEXT NOT NULL,
    PRIMARY KEY (sku, locale)
);
