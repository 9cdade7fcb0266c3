using System.Collections.Concurrent;

namespace Storefleet.Data;

/// <summary>
/// A compiled query (<c>EF.CompileAsyncQuery</c>) for each database type: a compiled query binds to the provider it
/// first ran on, and one process may hold both (SQLite and PostgreSQL contexts in tests). Compiled on first use.
/// </summary>
internal sealed class PerProvider<TQuery>(Func<TQuery> compile) where TQuery : Delegate
{
    private readonly ConcurrentDictionary<Type, TQuery> _compiled = new();

    public TQuery For(StorefleetDb db) => _compiled.GetOrAdd(db.GetType(), _ => compile());
}
