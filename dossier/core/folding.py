"""Case- and accent-insensitive text matching that gives the same answer on both databases.

`fold("Kraków")` is `"krakow"`: lower case, then each accented Latin letter replaced by its
plain one, one character for one. The database does the same through `dossier_fold(text)`: on
PostgreSQL an immutable SQL function over `translate()` (created by a profiles migration), on
SQLite this module's `fold`, registered on every new connection. One table serves both, so a
filter matches the same profiles whichever database holds them. Upper-case accented letters are
in the table too, because PostgreSQL's `lower()` under the C locale only lowers ASCII.
"""

from django.db.models import CharField, Func

ACCENTED = (
    "àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĳĵķĺļľŀńņňōŏőŕŗřśŝşšţťũūŭůűųŵŷźżžſơưǆǉǌǎǐǒǔǖǘǚǜǟǡǧǩǫǭǰǳǵǹǻ"
    "ȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳłđøħıŧƀɨ"
)
PLAIN = (
    "aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiiijkllllnnnooorrrssssttuuuuuuwyzzzsoudlnaiouuuuuaagkoojdgna"
    "aaeeiioorruusthaeooooyldohitbi"
)
# The upper-case forms that are one non-ASCII character and not already in the table.
_UPPER = [(low.upper(), plain) for low, plain in zip(ACCENTED, PLAIN)
          if len(low.upper()) == 1 and not low.upper().isascii() and low.upper() not in ACCENTED]
FOLD_FROM = ACCENTED + "".join(up for up, _ in _UPPER)
FOLD_TO = PLAIN + "".join(plain for _, plain in _UPPER)
_TABLE = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str | None) -> str | None:
    return None if text is None else str(text).lower().translate(_TABLE)


class Fold(Func):
    """`dossier_fold(expression)` in SQL: see the module's docstring."""

    function = "dossier_fold"
    output_field = CharField()


def postgresql_function_sql() -> str:
    def quoted(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"
    # translate() looks each character up in the whole table: ASCII text, most of what is stored,
    # skips it (a tenth of the time on a profile's names and identifiers, with the same result).
    return (f"CREATE OR REPLACE FUNCTION dossier_fold(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
            f"AS $fold$ SELECT CASE WHEN value ~ '^[\\x01-\\x7f]*$' THEN lower(value)"
            f" ELSE translate(lower(value), {quoted(FOLD_FROM)}, {quoted(FOLD_TO)}) END $fold$")


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """connection_created receiver: gives an SQLite connection `dossier_fold`."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("dossier_fold", 1, fold, deterministic=True)
