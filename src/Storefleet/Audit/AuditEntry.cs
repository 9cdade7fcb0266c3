namespace Storefleet.Audit;

/// <summary>Append-only record of who did what to which target, from where, with what outcome. Survives the target's deletion.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTime Time { get; set; }
    public Guid? ActorId { get; set; }
    public string? ActorEmail { get; set; }
    /// <summary>For example <c>store.create</c>, <c>store.delete</c>, <c>store.credentials.read</c>, <c>auth.login</c>.</summary>
    public required string Action { get; set; }
    public string? TargetId { get; set; }
    public string? TargetName { get; set; }
    public string? SourceIp { get; set; }
    /// <summary><c>success</c>, <c>denied</c> or <c>failed</c>.</summary>
    public required string Outcome { get; set; }
    public string? Detail { get; set; }
}
