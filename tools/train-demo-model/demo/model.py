"""LongCat-Flash in PyTorch, for training the demo model: the math of ../../shared/docs/LONGCAT.md, sections 2 to 5.

Legend: B batch, T tokens, H hidden, nH heads, Dn/Dr/Dv nope/rope/value head dims, Lq/Lkv q/kv lora ranks,
E real experts, Z zero (identity) experts, K top-k, F expert ffn, V vocab.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

LORA_NORM_EPS = 1e-6  # q_a_layernorm / kv_a_layernorm: LongcatFlashRMSNorm's default, not rms_norm_eps (LONGCAT.md 3.2)


@dataclass
class Config:
    vocab_size: int = 4096
    hidden_size: int = 256
    ffn_hidden_size: int = 512
    expert_ffn_hidden_size: int = 128
    num_layers: int = 4
    num_attention_heads: int = 4
    q_lora_rank: int = 128
    kv_lora_rank: int = 64
    qk_nope_head_dim: int = 32
    qk_rope_head_dim: int = 32
    v_head_dim: int = 32
    n_routed_experts: int = 12
    zero_expert_num: int = 4
    moe_topk: int = 3
    routed_scaling_factor: float = 2.0
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_position_embeddings: int = 4096

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope_tables(cfg, T, dtype=torch.float32, device=None):
    """cos, sin: [T, Dr/2] for positions 0..T-1 (inv_freq[i] = theta^(-2i/Dr))."""
    dr = cfg.qk_rope_head_dim
    inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, dr, 2, dtype=torch.float64, device=device) / dr))
    ang = torch.arange(T, dtype=torch.float64, device=device)[:, None] * inv[None, :]
    return torch.cos(ang).to(dtype), torch.sin(ang).to(dtype)


def rope_interleaved(x, cos, sin):
    """Rotates adjacent pairs (x[2i], x[2i+1]) in place (GPT-J style). x: [B, T, n, Dr]; cos/sin: [T, Dr/2]."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    return torch.stack((x1 * c - x2 * s, x2 * c + x1 * s), dim=-1).flatten(-2)


class MLA(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        H, nH = cfg.hidden_size, cfg.num_attention_heads
        dq = cfg.qk_nope_head_dim + cfg.qk_rope_head_dim
        self.q_a_proj = nn.Linear(H, cfg.q_lora_rank, bias=False)
        self.q_a_layernorm = RMSNorm(cfg.q_lora_rank, LORA_NORM_EPS)
        self.q_b_proj = nn.Linear(cfg.q_lora_rank, nH * dq, bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(H, cfg.kv_lora_rank + cfg.qk_rope_head_dim, bias=False)
        self.kv_a_layernorm = RMSNorm(cfg.kv_lora_rank, LORA_NORM_EPS)
        self.kv_b_proj = nn.Linear(cfg.kv_lora_rank, nH * (cfg.qk_nope_head_dim + cfg.v_head_dim), bias=False)
        self.o_proj = nn.Linear(nH * cfg.v_head_dim, H, bias=False)
        self.s_q = math.sqrt(H / cfg.q_lora_rank)      # mla_scale_q_lora
        self.s_kv = math.sqrt(H / cfg.kv_lora_rank)    # mla_scale_kv_lora
        self.scale = dq ** -0.5

    def forward(self, x, cos, sin, cache=None):
        """x: [B, T, H] at positions p0..p0+T-1 (cos/sin for those); cache: dict holding this sublayer's K and V of
        positions 0..p0-1 (extended in place), or None for a plain causal forward from position 0."""
        cfg = self.cfg
        B, T, _ = x.shape
        nH, dn, dr, dv = cfg.num_attention_heads, cfg.qk_nope_head_dim, cfg.qk_rope_head_dim, cfg.v_head_dim
        q = self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x))).view(B, T, nH, dn + dr) * self.s_q  # whole q scaled
        q_nope, q_rot = q[..., :dn], q[..., dn:]
        ckv = self.kv_a_proj_with_mqa(x)                                   # [B, T, Lkv + Dr]
        c, k_rot = ckv[..., :cfg.kv_lora_rank], ckv[..., cfg.kv_lora_rank:]
        c = self.kv_a_layernorm(c) * self.s_kv                             # latent scaled (so k_nope and v); k_rot not
        kv = self.kv_b_proj(c).view(B, T, nH, dn + dv)
        k_nope, v = kv[..., :dn], kv[..., dn:]
        q_rot = rope_interleaved(q_rot, cos, sin)
        k_rot = rope_interleaved(k_rot[:, :, None, :], cos, sin).expand(B, T, nH, dr)  # one shared rope key
        qh = torch.cat((q_nope, q_rot), -1).transpose(1, 2)               # [B, nH, T, Dn+Dr]
        kh = torch.cat((k_nope, k_rot), -1).transpose(1, 2)
        vh = v.transpose(1, 2)                                             # [B, nH, T, Dv]
        p0 = 0
        if cache is not None:
            if "k" in cache:
                p0 = cache["k"].shape[2]
                kh, vh = torch.cat((cache["k"], kh), 2), torch.cat((cache["v"], vh), 2)
            cache["k"], cache["v"] = kh, vh
        att = (qh @ kh.transpose(-1, -2)) * self.scale                     # [B, nH, T, p0+T]
        mask = torch.ones(T, p0 + T, dtype=torch.bool, device=x.device).triu(p0 + 1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        o = (att @ vh).transpose(1, 2).reshape(B, T, nH * dv)
        return self.o_proj(o)


class MLP(nn.Module):
    def __init__(self, H, F_):
        super().__init__()
        self.gate_proj = nn.Linear(H, F_, bias=False)
        self.up_proj = nn.Linear(H, F_, bias=False)
        self.down_proj = nn.Linear(F_, H, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class MoE(nn.Module):
    """Softmax router over E real + Z identity experts; the bias only steers selection; weights = score x rsf."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        E, H, Fe = cfg.n_routed_experts, cfg.hidden_size, cfg.expert_ffn_hidden_size
        self.classifier = nn.Linear(H, E + cfg.zero_expert_num, bias=False)
        self.register_buffer("e_score_correction_bias", torch.zeros(E + cfg.zero_expert_num))
        self.gate = nn.Parameter(torch.empty(E, Fe, H))
        self.up = nn.Parameter(torch.empty(E, Fe, H))
        self.down = nn.Parameter(torch.empty(E, H, Fe))
        self.last_counts = None  # [E + Z] slots routed to each expert in the last forward (for the bias update)
        self.last_idx = None

    def route(self, x):
        """x: [N, H] -> (idx [N, K] sorted by descending choice score, weights [N, K], scores [N, E+Z])."""
        scores = (x @ self.classifier.weight.t()).softmax(-1)                          # fp32 (fp64 in the golden check)
        choice = scores.detach() + self.e_score_correction_bias[None, :]
        idx = choice.topk(self.cfg.moe_topk, dim=-1, sorted=True).indices
        w = scores.gather(1, idx) * self.cfg.routed_scaling_factor                      # identity slots too
        return idx, w, scores

    def forward(self, x):
        shape = x.shape
        x = x.reshape(-1, shape[-1])                                                    # [N, H]
        idx, w, _ = self.route(x)
        E = self.cfg.n_routed_experts
        out = torch.zeros_like(x)
        for e in range(E):
            tok, slot = (idx == e).nonzero(as_tuple=True)
            if tok.numel() == 0:
                continue
            xe = x.index_select(0, tok)
            ye = F.linear(F.silu(F.linear(xe, self.gate[e])) * F.linear(xe, self.up[e]), self.down[e])
            out = out.index_add(0, tok, ye * w[tok, slot][:, None])
        w_id = (w * (idx >= E)).sum(-1, keepdim=True)                                   # identity experts: w * x
        out = out + w_id * x
        with torch.no_grad():
            self.last_counts = torch.bincount(idx.flatten(), minlength=E + self.cfg.zero_expert_num)
            self.last_idx = idx
        return out.view(shape)


class DecoderBlock(nn.Module):
    """ScMoE block: 2 x (MLA + dense MLP); the MoE reads post_attention_layernorm[0] and is added at the end."""

    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = nn.ModuleList([RMSNorm(cfg.hidden_size, cfg.rms_norm_eps) for _ in range(2)])
        self.post_attention_layernorm = nn.ModuleList([RMSNorm(cfg.hidden_size, cfg.rms_norm_eps) for _ in range(2)])
        self.self_attn = nn.ModuleList([MLA(cfg) for _ in range(2)])
        self.mlps = nn.ModuleList([MLP(cfg.hidden_size, cfg.ffn_hidden_size) for _ in range(2)])
        self.mlp = MoE(cfg)

    def forward(self, h, cos, sin, cache=None):
        c0, c1 = (None, None) if cache is None else (cache.setdefault(0, {}), cache.setdefault(1, {}))
        h = h + self.self_attn[0](self.input_layernorm[0](h), cos, sin, c0)
        x = self.post_attention_layernorm[0](h)
        moe_out = self.mlp(x)                              # shortcut branch, consumed at the end of the block
        h = h + self.mlps[0](x)
        h = h + self.self_attn[1](self.input_layernorm[1](h), cos, sin, c1)
        h = h + self.mlps[1](self.post_attention_layernorm[1](h))
        return h + moe_out


class MtpLayer(nn.Module):
    """Dense MTP head (LONGCAT.md 5): eh_proj([enorm(embed(t+1)) || hnorm(h_t)]) -> MLA + MLP -> mtp.norm -> lm_head."""

    def __init__(self, cfg):
        super().__init__()
        H = cfg.hidden_size
        self.enorm = RMSNorm(H, cfg.rms_norm_eps)
        self.hnorm = RMSNorm(H, cfg.rms_norm_eps)
        self.eh_proj = nn.Linear(2 * H, H, bias=False)
        self.input_layernorm = RMSNorm(H, cfg.rms_norm_eps)
        self.self_attn = MLA(cfg)
        self.post_attention_layernorm = RMSNorm(H, cfg.rms_norm_eps)
        self.mlp = MLP(H, cfg.ffn_hidden_size)
        self.norm = RMSNorm(H, cfg.rms_norm_eps)

    def forward(self, e, h, cos, sin, cache=None):
        x = self.eh_proj(torch.cat((self.enorm(e), self.hnorm(h)), -1))     # embedding first
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, cache)
        x = x + self.mlp(self.post_attention_layernorm(x))
        return self.norm(x)


class LongCatFlash(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderBlock(cfg) for _ in range(cfg.num_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        self.mtp = MtpLayer(cfg)
        self.mtp_embed = None      # model.mtp.embed_tokens when loaded from a checkpoint; the main embedding while training
        self.reset_parameters()

    def reset_parameters(self, std=0.02):
        for name, p in self.named_parameters():
            if name.endswith("norm.weight") or ".enorm." in name or ".hnorm." in name or "layernorm" in name:
                nn.init.ones_(p)
            else:
                nn.init.normal_(p, 0.0, std)
        # Residual-output projections scaled down with depth (GPT-2 style).
        n_res = 5 * self.cfg.num_layers
        for name, p in self.named_parameters():
            if name.endswith("o_proj.weight") or name.endswith("down_proj.weight") or name.endswith(".down"):
                nn.init.normal_(p, 0.0, std / math.sqrt(n_res))
        # lm_head starts as a copy of the embedding (the weights stay untied, as in LongCat): attention heads that move
        # a token's embedding forward then predict that token, which gets copying (tool-call arguments) off the ground.
        with torch.no_grad():
            self.lm_head.weight.copy_(self.embed_tokens.weight)

    def _rope(self, p0, T, device):
        cos, sin = rope_tables(self.cfg, p0 + T, self.lm_head.weight.dtype, device)
        return cos[p0:], sin[p0:]

    def forward(self, ids, trace=None, cache=None, logits=True):
        """ids [B, T] -> (final normed hidden [B, T, H], logits [B, T, V]). trace: optional list of hidden stages.
        cache: {} to start a cached generation, then the same dict for each next chunk (positions continue)."""
        B, T = ids.shape
        p0 = cache.get("len", 0) if cache is not None else 0
        cos, sin = self._rope(p0, T, ids.device)
        h = self.embed_tokens(ids)
        if trace is not None:
            trace.append(h)
        for i, layer in enumerate(self.layers):
            h = layer(h, cos, sin, None if cache is None else cache.setdefault(("layer", i), {}))
            if trace is not None:
                trace.append(h)
        h = self.norm(h)
        if trace is not None:
            trace.append(h)
        if cache is not None:
            cache["len"] = p0 + T
        return (h, self.lm_head(h)) if logits else h

    def mtp_forward(self, next_ids, h_final, cache=None, logits=True):
        """Draft logits: row t predicts token t+2 from (token t+1 = next_ids[:, t], main hidden h_final[:, t]).
        cache: as in forward, for the head's own attention (positions continue from the cached length)."""
        T = next_ids.shape[1]
        p0 = cache.get("len", 0) if cache is not None else 0
        cos, sin = self._rope(p0, T, next_ids.device)
        e = (self.mtp_embed if self.mtp_embed is not None else self.embed_tokens)(next_ids)
        out = self.mtp(e, h_final, cos, sin, cache)
        if cache is not None:
            cache["len"] = p0 + T
        return self.lm_head(out) if logits else out

    def moe_layers(self):
        return [layer.mlp for layer in self.layers]
