"""Export in the official LongCat-Flash checkpoint format (LONGCAT.md sections 1, 5, 7) and load it back."""
import json
import os

import torch
import torch.nn as nn

from . import safetensors_io, template
from .model import Config, LongCatFlash

F32_TENSORS = ("mlp.router.classifier.weight", "mlp.router.e_score_correction_bias")  # kept in F32 (router runs in fp32)

SPECIAL_TOKENS = ["<longcat_unk>", "<longcat_s>", "</longcat_s>", "<longcat_pad>"]
EXTRA_TOKENS = ["<longcat_tool_call>", "</longcat_tool_call>", "<longcat_tool_response>", "</longcat_tool_response>"]


def checkpoint_tensors(model):
    """Checkpoint name -> tensor (fp32 values; dtype chosen at save)."""
    cfg = model.cfg
    sd = {k: v.detach().float() for k, v in model.state_dict().items()}
    out = {"model.embed_tokens.weight": sd["embed_tokens.weight"]}
    for L in range(cfg.num_layers):
        p, q = f"layers.{L}.", f"model.layers.{L}."
        for i in range(2):
            out[f"{q}input_layernorm.{i}.weight"] = sd[f"{p}input_layernorm.{i}.weight"]
            out[f"{q}post_attention_layernorm.{i}.weight"] = sd[f"{p}post_attention_layernorm.{i}.weight"]
            for n in ("q_a_proj", "q_a_layernorm", "q_b_proj", "kv_a_proj_with_mqa", "kv_a_layernorm", "kv_b_proj", "o_proj"):
                out[f"{q}self_attn.{i}.{n}.weight"] = sd[f"{p}self_attn.{i}.{n}.weight"]
            for n in ("gate_proj", "up_proj", "down_proj"):
                out[f"{q}mlps.{i}.{n}.weight"] = sd[f"{p}mlps.{i}.{n}.weight"]
        out[f"{q}mlp.router.classifier.weight"] = sd[f"{p}mlp.classifier.weight"]
        out[f"{q}mlp.router.e_score_correction_bias"] = sd[f"{p}mlp.e_score_correction_bias"]
        for e in range(cfg.n_routed_experts):
            out[f"{q}mlp.experts.{e}.gate_proj.weight"] = sd[f"{p}mlp.gate"][e]
            out[f"{q}mlp.experts.{e}.up_proj.weight"] = sd[f"{p}mlp.up"][e]
            out[f"{q}mlp.experts.{e}.down_proj.weight"] = sd[f"{p}mlp.down"][e]
    out["model.norm.weight"] = sd["norm.weight"]
    out["lm_head.weight"] = sd["lm_head.weight"]
    m, mm = "mtp.", "model.mtp.layers.0."
    out["model.mtp.embed_tokens.weight"] = sd["mtp_embed.weight"] if "mtp_embed.weight" in sd else sd["embed_tokens.weight"]
    out[f"{mm}enorm.m.weight"] = sd[f"{m}enorm.weight"]
    out[f"{mm}hnorm.m.weight"] = sd[f"{m}hnorm.weight"]
    out[f"{mm}eh_proj.weight"] = sd[f"{m}eh_proj.weight"]
    out[f"{mm}input_layernorm.weight"] = sd[f"{m}input_layernorm.weight"]
    for n in ("q_a_proj", "q_a_layernorm", "q_b_proj", "kv_a_proj_with_mqa", "kv_a_layernorm", "kv_b_proj", "o_proj"):
        out[f"{mm}self_attn.{n}.weight"] = sd[f"{m}self_attn.{n}.weight"]
    out[f"{mm}post_attention_layernorm.weight"] = sd[f"{m}post_attention_layernorm.weight"]
    for n in ("gate_proj", "up_proj", "down_proj"):
        out[f"{mm}transformer_layer.mlp.{n}.weight"] = sd[f"{m}mlp.{n}.weight"]
    out["model.mtp.norm.weight"] = sd[f"{m}norm.weight"]
    return out


def stored_dtype(name):
    return torch.float32 if name.endswith(F32_TENSORS) else torch.bfloat16


def save_checkpoint(model, out_dir):
    tensors = {n: t.to(stored_dtype(n)) for n, t in checkpoint_tensors(model).items()}
    safetensors_io.save(tensors, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    return tensors


def load_checkpoint(out_dir, dtype=torch.float32):
    """A LongCatFlash whose weights are exactly the stored values (BF16 widened), in `dtype`."""
    with open(os.path.join(out_dir, "config.json")) as f:
        c = json.load(f)
    cfg = Config(**{k: c[k] for k in Config.__dataclass_fields__})
    model = LongCatFlash(cfg)
    model.mtp_embed = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
    stored = safetensors_io.load(os.path.join(out_dir, "model.safetensors"))
    names = checkpoint_tensors(model)
    if set(names) != set(stored):
        raise ValueError(f"tensor names differ: missing {sorted(set(names) - set(stored))[:5]}, "
                         f"extra {sorted(set(stored) - set(names))[:5]}")
    for n, t in stored.items():
        if t.dtype != stored_dtype(n):
            raise ValueError(f"{n}: stored as {t.dtype}, expected {stored_dtype(n)}")
    with torch.no_grad():
        _assign(model, stored)
    return model.to(dtype).eval()


def _assign(model, stored):
    cfg = model.cfg
    g = lambda n: stored[n].float()
    P = dict(model.named_parameters())
    B = dict(model.named_buffers())
    P.update(B)

    def put(param_name, value):
        t = P[param_name]
        if t.shape != value.shape:
            raise ValueError(f"{param_name}: shape {tuple(value.shape)} != {tuple(t.shape)}")
        t.copy_(value)

    put("embed_tokens.weight", g("model.embed_tokens.weight"))
    for L in range(cfg.num_layers):
        p, q = f"layers.{L}.", f"model.layers.{L}."
        for i in range(2):
            put(f"{p}input_layernorm.{i}.weight", g(f"{q}input_layernorm.{i}.weight"))
            put(f"{p}post_attention_layernorm.{i}.weight", g(f"{q}post_attention_layernorm.{i}.weight"))
            for n in ("q_a_proj", "q_a_layernorm", "q_b_proj", "kv_a_proj_with_mqa", "kv_a_layernorm", "kv_b_proj", "o_proj"):
                put(f"{p}self_attn.{i}.{n}.weight", g(f"{q}self_attn.{i}.{n}.weight"))
            for n in ("gate_proj", "up_proj", "down_proj"):
                put(f"{p}mlps.{i}.{n}.weight", g(f"{q}mlps.{i}.{n}.weight"))
        put(f"{p}mlp.classifier.weight", g(f"{q}mlp.router.classifier.weight"))
        put(f"{p}mlp.e_score_correction_bias", g(f"{q}mlp.router.e_score_correction_bias"))
        for w, n in (("gate", "gate_proj"), ("up", "up_proj"), ("down", "down_proj")):
            put(f"{p}mlp.{w}", torch.stack([g(f"{q}mlp.experts.{e}.{n}.weight") for e in range(cfg.n_routed_experts)]))
    put("norm.weight", g("model.norm.weight"))
    put("lm_head.weight", g("lm_head.weight"))
    put("mtp_embed.weight", g("model.mtp.embed_tokens.weight"))
    m, mm = "mtp.", "model.mtp.layers.0."
    put(f"{m}enorm.weight", g(f"{mm}enorm.m.weight"))
    put(f"{m}hnorm.weight", g(f"{mm}hnorm.m.weight"))
    put(f"{m}eh_proj.weight", g(f"{mm}eh_proj.weight"))
    put(f"{m}input_layernorm.weight", g(f"{mm}input_layernorm.weight"))
    for n in ("q_a_proj", "q_a_layernorm", "q_b_proj", "kv_a_proj_with_mqa", "kv_a_layernorm", "kv_b_proj", "o_proj"):
        put(f"{m}self_attn.{n}.weight", g(f"{mm}self_attn.{n}.weight"))
    put(f"{m}post_attention_layernorm.weight", g(f"{mm}post_attention_layernorm.weight"))
    for n in ("gate_proj", "up_proj", "down_proj"):
        put(f"{m}mlp.{n}.weight", g(f"{mm}transformer_layer.mlp.{n}.weight"))
    put(f"{m}norm.weight", g("model.mtp.norm.weight"))


def config_json(cfg):
    """config.json with every field of LONGCAT.md section 1 (values of this model)."""
    return {
        "architectures": ["LongcatFlashForCausalLM"],
        "model_type": "longcat_flash",
        "attention_method": "MLA",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "hidden_act": "silu",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "ffn_hidden_size": cfg.ffn_hidden_size,
        "expert_ffn_hidden_size": cfg.expert_ffn_hidden_size,
        "num_layers": cfg.num_layers,
        "num_hidden_layers": 2 * cfg.num_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_attention_heads,
        "q_lora_rank": cfg.q_lora_rank,
        "kv_lora_rank": cfg.kv_lora_rank,
        "qk_nope_head_dim": cfg.qk_nope_head_dim,
        "qk_rope_head_dim": cfg.qk_rope_head_dim,
        "head_dim": cfg.qk_rope_head_dim,
        "v_head_dim": cfg.v_head_dim,
        "mla_scale_q_lora": True,
        "mla_scale_kv_lora": True,
        "n_routed_experts": cfg.n_routed_experts,
        "zero_expert_num": cfg.zero_expert_num,
        "zero_expert_type": "identity",
        "moe_topk": cfg.moe_topk,
        "routed_scaling_factor": cfg.routed_scaling_factor,
        "norm_topk_prob": False,
        "router_bias": False,
        "router_dtype": "float32",
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,
        "rope_scaling": None,
        "max_position_embeddings": cfg.max_position_embeddings,
        "num_nextn_predict_layers": 1,
        "nextn_use_scmoe": False,
        "tie_word_embeddings": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "pad_token_id": 3,
        "initializer_range": 0.02,
        "use_cache": True,
        "torch_dtype": "bfloat16",
    }


def write_model_files(model, tokenizer_doc, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config_json(model.cfg), f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 3, "do_sample": True,
                   "temperature": 0.7, "top_p": 0.95, "max_new_tokens": 256}, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_doc, f, ensure_ascii=False, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_config(tokenizer_doc), f, ensure_ascii=False, indent=2)
        f.write("\n")
    save_checkpoint(model, out_dir)


def tokenizer_config(doc):
    decoder = {str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
               for t in doc["added_tokens"]}
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "added_tokens_decoder": decoder,
        "additional_special_tokens": [],
        "bos_token": "<longcat_s>",
        "eos_token": "</longcat_s>",
        "pad_token": "<longcat_pad>",
        "unk_token": "<longcat_unk>",
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 4096,
        "chat_template": template.JINJA_TEMPLATE,
    }
