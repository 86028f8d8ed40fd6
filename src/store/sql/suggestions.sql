SELECT m.cid, p.sku_b, COALESCE(MAX(ln.name), (SELECT MIN(a.name) FROM product_names a WHERE a.sku = p.sku_b)),
SUM(p.customers) AS score
FROM mine m JOIN product_pairs p ON p.sku_a = m.sku
LEFT JOIN product_names ln ON ln.sku = p.sku_b AND ln.locale = m.loc
WHERE NOT EXISTS (SELECT 1 FROM mine x WHERE x.cid = m.cid AND x.sku = p.sku_b)
GROUP BY m.cid, p.sku_b ORDER BY m.cid, score DESC, p.sku_b
