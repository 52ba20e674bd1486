; Hotline Console for Windows: one per-machine installation, upgraded in place.
;
;   iscc /DAppVersion=0.1.0 installer\windows\hotline-console.iss
;
; Run after `python installer\build.py frozen` (the release workflow does both). Each person's
; data lives in their own profile (%LOCALAPPDATA%\Hotline\HotlineConsole), never under {app}:
; an upgrade replaces the program only, and uninstalling leaves every person's cases in place.

#ifndef AppVersion
  #error Pass the version from pyproject.toml: iscc /DAppVersion=X.Y.Z hotline-console.iss
#endif

[Setup]
; The AppId ties every later version to this installation: keep it for all releases.
AppId={{6F0B7C1E-2D4A-4B8E-9A51-3C7E5D2F8B10}
AppName=Hotline Console
AppVersion={#AppVersion}
AppVerName=Hotline Console {#AppVersion}
AppPublisher=Hotline
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\Hotline Console
DefaultGroupName=Hotline Console
DisableProgramGroupPage=yes
; Per machine, for every account: installing needs an administrator.
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; A console left open on this machine (any session) makes Setup and Uninstall wait to be closed;
; neither ever closes it on its own, so no call is cut by an upgrade. Silent installs by IT
; staff then stop instead: roll out between shifts.
AppMutex=HotlineConsoleRunning,Global\HotlineConsoleRunning
CloseApplications=no
SetupIconFile=..\icons\hotline-console.ico
UninstallDisplayIcon={app}\HotlineConsole.exe
UninstallDisplayName=Hotline Console
WizardStyle=modern
Compression=lzma2
SolidCompression=yes
OutputDir=..\..\dist
OutputBaseFilename=HotlineConsole-{#AppVersion}-setup

[InstallDelete]
; An upgrade starts from a clean program folder, so no library of the old version lingers.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\..\dist\hotline-console\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Hotline Console"; Filename: "{app}\HotlineConsole.exe"; WorkingDir: "{app}"
Name: "{autodesktop}\Hotline Console"; Filename: "{app}\HotlineConsole.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\HotlineConsole.exe"; Description: "{cm:LaunchProgram,Hotline Console}"; Flags: nowait postinstall skipifsilent unchecked runasoriginaluser
