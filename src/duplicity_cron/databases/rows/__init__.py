"""The row counters: each table's rows counted in a dump as it streams by (`dump_rows`, searching with
`byte_search`), PostgreSQL's COPY blocks (`copy_rows`) and mariadb-dump's INSERTs (`insert_rows`).

Pure.
"""
