namespace LongCat.Sdk.Templates;

// The syntax tree of a template: expressions and statements, each with the line it starts on.

internal abstract record Expr(int Line);

internal sealed record ConstExpr(int Line, object? Value) : Expr(Line);

internal sealed record NameExpr(int Line, string Name) : Expr(Line);

internal sealed record ListExpr(int Line, List<Expr> Items, bool IsTuple) : Expr(Line);

internal sealed record DictExpr(int Line, List<(Expr Key, Expr Value)> Items) : Expr(Line);

internal sealed record AttrExpr(int Line, Expr Target, string Name) : Expr(Line);

internal sealed record ItemExpr(int Line, Expr Target, Expr Key) : Expr(Line);

internal sealed record SliceExpr(int Line, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Line);

internal sealed record Arguments(List<Expr> Positional, List<(string Name, Expr Value)> Keywords)
{
    public static Arguments None { get; } = new([], []);
}

internal sealed record CallExpr(int Line, Expr Target, Arguments Args) : Expr(Line);

/// <summary><c>value | name(args)</c>; <see cref="Value"/> is null in a filter block, where the block's output is filtered.</summary>
internal sealed record FilterExpr(int Line, Expr? Value, string Name, Arguments Args) : Expr(Line);

internal sealed record TestExpr(int Line, Expr Value, string Name, Arguments Args, bool Negated) : Expr(Line);

/// <summary><c>not</c>, unary <c>-</c> and <c>+</c>.</summary>
internal sealed record UnaryExpr(int Line, string Op, Expr Operand) : Expr(Line);

/// <summary>Arithmetic, <c>~</c>, <c>and</c>, <c>or</c>.</summary>
internal sealed record BinaryExpr(int Line, string Op, Expr Left, Expr Right) : Expr(Line);

/// <summary>A comparison chain: <c>a &lt; b == c</c>, <c>x in y</c>, <c>x not in y</c>.</summary>
internal sealed record CompareExpr(int Line, Expr First, List<(string Op, Expr Operand)> Rest) : Expr(Line);

internal sealed record CondExpr(int Line, Expr Test, Expr Then, Expr? Else) : Expr(Line);

internal abstract record Stmt(int Line);

internal sealed record TextStmt(int Line, string Text) : Stmt(Line);

internal sealed record PrintStmt(int Line, Expr Value) : Stmt(Line);

internal sealed record IfStmt(int Line, List<(Expr Test, List<Stmt> Body)> Branches, List<Stmt>? Else) : Stmt(Line);

/// <summary>A for loop; <see cref="Targets"/> has one name, or several unpacked from each item (<c>for k, v in ...</c>).</summary>
internal sealed record ForStmt(int Line, List<string> Targets, bool Unpack, Expr Iterable, Expr? Filter, List<Stmt> Body, List<Stmt>? Else, bool Recursive) : Stmt(Line);

/// <summary><c>set name = value</c>, <c>set a, b = value</c>, or <c>set ns.attr = value</c> (<see cref="Attribute"/> set).</summary>
internal sealed record SetStmt(int Line, List<string> Targets, string? Attribute, Expr Value) : Stmt(Line);

/// <summary><c>{% set name %}body{% endset %}</c>, the body's output filtered by <see cref="Filters"/>.</summary>
internal sealed record SetBlockStmt(int Line, string Target, string? Attribute, List<FilterExpr> Filters, List<Stmt> Body) : Stmt(Line);

internal sealed record MacroStmt(int Line, string Name, List<(string Name, Expr? Default)> Parameters, List<Stmt> Body) : Stmt(Line);

internal sealed record CallBlockStmt(int Line, CallExpr Call, List<(string Name, Expr? Default)> Parameters, List<Stmt> Body) : Stmt(Line);

internal sealed record FilterBlockStmt(int Line, List<FilterExpr> Filters, List<Stmt> Body) : Stmt(Line);

internal sealed record BreakStmt(int Line) : Stmt(Line);

internal sealed record ContinueStmt(int Line) : Stmt(Line);

/// <summary>transformers' <c>{% generation %}</c> block (it marks assistant tokens for training); rendered as its body.</summary>
internal sealed record GenerationStmt(int Line, List<Stmt> Body) : Stmt(Line);
